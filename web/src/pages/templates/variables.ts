import { ApiError } from '@/api/problem';
import { BUILTIN_VARIABLES } from './api';

/** A declared variable as the editor holds it: empty strings for none. */
export interface VarRow {
  key: string;
  name: string;
  default: string;
  sample: string;
}

let seq = 0;
export function newRow(init: Partial<Omit<VarRow, 'key'>> = {}): VarRow {
  seq += 1;
  return { key: `v${seq}`, name: init.name ?? '', default: init.default ?? '', sample: init.sample ?? '' };
}

/** The names a content uses between {{ and }}, in order of first use. */
export function usedVariables(...texts: string[]): string[] {
  const seen = new Set<string>();
  const re = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
  for (const text of texts) {
    for (const m of text.matchAll(re)) seen.add(m[1]!);
  }
  return [...seen];
}

const BUILTINS = new Set(BUILTIN_VARIABLES.map((v) => v.name));
export const isBuiltin = (name: string) => BUILTINS.has(name);

/** The rows as the API takes them. */
export function toApiVariables(rows: VarRow[]) {
  return rows
    .filter((r) => r.name.trim())
    .map((r) => ({ name: r.name.trim(), default: r.default === '' ? null : r.default, sample: r.sample === '' ? null : r.sample }));
}

const FIELD_LABEL: Record<string, string> = {
  subject: 'Subject',
  body_html: 'Body',
  body_text: 'Plain text',
  body: 'Message',
  variables: 'Variables',
};

/** The problems of a 422 that are about variables, one line each, naming the variable. */
export function variableProblems(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [];
  const out: string[] = [];
  for (const e of error.errors) {
    const loc = (e.location ?? '').replace(/^body\./, '');
    const msg = e.message ?? '';
    if (!/variable/i.test(msg) && !loc.startsWith('variables')) continue;
    const field = FIELD_LABEL[loc.split(/[.[]/)[0] ?? ''] ?? loc;
    out.push(`${field}: ${msg}`);
  }
  return out;
}

const isVariableProblem = (e: { location?: string; message?: string }) =>
  /variable/i.test(e.message ?? '') || (e.location ?? '').replace(/^body\./, '').startsWith('variables');

/**
 * Splits a save error: the variable problems (listed together beside the
 * editor) and the rest (for the fields). Problems with a generated plain
 * text repeat the body's, so they are dropped when no text was written.
 */
export function splitSaveError(error: unknown, textWritten: boolean): { rest: unknown; variables: string[] } {
  if (!(error instanceof ApiError)) return { rest: error, variables: [] };
  const kept = error.errors.filter((e) => textWritten || e.location !== 'body.body_text');
  const vars = kept.filter(isVariableProblem);
  const others = kept.filter((e) => !isVariableProblem(e));
  const rest =
    vars.length && !others.length
      ? null
      : new ApiError({ status: error.status, title: error.title, detail: error.detail, errors: others, requestId: error.requestId, retryAfter: error.retryAfter });
  const carrier = new ApiError({ status: error.status, errors: vars });
  return { rest, variables: variableProblems(carrier) };
}
