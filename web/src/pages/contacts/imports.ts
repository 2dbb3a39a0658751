/** How the import history shows an import: pure helpers, tested on their own. */
import type { ContactImport } from './api';

type Member = { user_id: string; name: string; email: string };

export interface ImportStatusMeta {
  label: string;
  color: string;
  /** A sentence for the status's tooltip. */
  hint: string;
}

/** The status as the history labels it. */
export function importStatusMeta(im: Pick<ContactImport, 'status' | 'phase'>): ImportStatusMeta {
  switch (im.status) {
    case 'uploaded':
      return { label: 'Counting rows', color: 'gray', hint: 'The file is stored; its rows are being counted.' };
    case 'ready':
      return { label: 'Needs mapping', color: 'yellow', hint: 'Uploaded but never started: choose what each column fills to import it.' };
    case 'queued':
      return { label: 'Queued', color: 'blue', hint: 'Waiting for a worker to pick it up.' };
    case 'running':
      return im.phase === 'merging'
        ? { label: 'Merging', color: 'blue', hint: 'Merging the rows into your contacts.' }
        : { label: 'Reading', color: 'blue', hint: 'Reading the file.' };
    case 'completed':
      return { label: 'Completed', color: 'teal', hint: 'Every row was read; rejected rows can be downloaded.' };
    case 'failed':
      return { label: 'Failed', color: 'red', hint: 'The import stopped; nothing after the failure was imported.' };
    default:
      return { label: im.status, color: 'gray', hint: '' };
  }
}

/** Percent of the rows done, 0–100; a completed import is 100. */
export function importPercent(im: Pick<ContactImport, 'status' | 'rows_total' | 'rows_done'>): number {
  if (im.status === 'completed') return 100;
  if (!im.rows_total) return 0;
  return Math.min(100, Math.round((im.rows_done / im.rows_total) * 100));
}

/** Who uploaded an import: a member's name (or email), "API key" when no user did. */
export function uploaderLabel(createdBy: string | null | undefined, members: Member[] | null | undefined): string {
  if (!createdBy) return 'API key';
  const m = members?.find((x) => x.user_id === createdBy);
  if (!m) return 'Former member';
  return m.name.trim() || m.email;
}

/** "1.2 MB", "830 KB", "512 B". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** How long a finished import ran: "4 s", "2 min 5 s"; null until it has started and finished. */
export function importDuration(im: Pick<ContactImport, 'started_at' | 'finished_at'>): string | null {
  if (!im.started_at || !im.finished_at) return null;
  const s = Math.max(0, Math.round((new Date(im.finished_at).getTime() - new Date(im.started_at).getTime()) / 1000));
  if (s < 1) return 'under a second';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
