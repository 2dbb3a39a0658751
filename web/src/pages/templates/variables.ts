import { ApiError } from '@/api/problem';
import { BUILTIN_VARIABLES, type TemplateProblem } from './api';

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

/** The content fields problems can point at. */
export type ContentField = 'subject' | 'body_html' | 'body_text' | 'body';

/** One problem shown under a field; declare names an undeclared variable that can be declared. */
export interface FieldWarning {
  message: string;
  declare?: string;
}

/** A live preview's problems, placed where the editor shows them. */
export interface DraftWarnings {
  /** Problems by content field: undeclared variables, malformed placeholders, limits. */
  fields: Partial<Record<ContentField, FieldWarning[]>>;
  /** Messages by declared variable name: not used, or not declarable. */
  variables: Record<string, string>;
  /** How many problems are shown. */
  count: number;
}

const CONTENT_FIELDS = new Set<string>(['subject', 'body_html', 'body_text', 'body']);

/**
 * Places the problems a draft preview lists next to their fields and
 * declarations. "Is required" problems of fields still empty are left out:
 * a template being written is not wrong yet, and saving still says so.
 */
export function draftWarnings(problems: TemplateProblem[] | null | undefined, values: Partial<Record<ContentField, string>>): DraftWarnings {
  const out: DraftWarnings = { fields: {}, variables: {}, count: 0 };
  for (const p of problems ?? []) {
    const loc = p.location.replace(/^body\./, '');
    if (loc.startsWith('variables')) {
      if (!p.variable) continue;
      out.variables[p.variable] ??= p.message;
      out.count += 1;
      continue;
    }
    if (!CONTENT_FIELDS.has(loc)) continue;
    const field = loc as ContentField;
    if (p.kind === 'content' && !(values[field] ?? '').trim()) continue;
    // The rich-text body is edited as text, not as its HTML: positions in the HTML would mislead.
    const message = field === 'body_html' ? p.message.replace(/ \(line \d+, column \d+\)/, '') : p.message;
    const declarable = p.kind === 'undeclared' && !!p.variable && !p.variable.startsWith('org.');
    (out.fields[field] ??= []).push(declarable ? { message, declare: p.variable } : { message });
    out.count += 1;
  }
  return out;
}
