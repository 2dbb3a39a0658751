/** The send form's state and the request it makes. */
import type { Channel, SendBody, Upload } from './model';

/** Whom the message goes to: a contact, or an address typed in. */
export type Recipient = { kind: 'contact'; id: string; name: string; address: string } | { kind: 'raw'; address: string };

/** A file on the form: uploading, uploaded, or refused by the server. */
export interface Attachment {
  key: string;
  name: string;
  size: number;
  progress: number;
  upload?: Upload;
  error?: string;
}

export interface Compose {
  channel: Channel | null;
  recipient: Recipient | null;
  mode: 'template' | 'write';
  templateId: string | null;
  variables: Record<string, string>;
  subject: string;
  /** Email: written in the rich editor (html) or as plain text. */
  format: 'rich' | 'plain';
  html: string;
  text: string;
  attachments: Attachment[];
}

export const EMPTY_COMPOSE: Compose = {
  channel: null,
  recipient: null,
  mode: 'write',
  templateId: null,
  variables: {},
  subject: '',
  format: 'rich',
  html: '',
  text: '',
  attachments: [],
};

/** The editor's empty document ("<p></p>") counts as no HTML. */
export function isBlankHTML(html: string): boolean {
  return html.replace(/<[^>]*>/g, '').replace(/&nbsp;/g, ' ').trim() === '' && !/<img\b/i.test(html);
}

/**
 * The POST /messages body for the form, or null before a channel is
 * chosen. Only what the user gave is sent, so that the check reports what
 * is missing the way a send would.
 */
export function toSendBody(f: Compose): SendBody | null {
  if (!f.channel) return null;
  const b: SendBody = { channel: f.channel };
  if (f.recipient?.kind === 'contact') b.contact_id = f.recipient.id;
  else if (f.recipient?.kind === 'raw' && f.recipient.address.trim()) b.to = f.recipient.address.trim();
  if (f.mode === 'template') {
    if (f.templateId) b.template_id = f.templateId;
  } else if (f.channel === 'email') {
    if (f.subject) b.subject = f.subject;
    if (f.format === 'rich') {
      if (!isBlankHTML(f.html)) b.html = f.html;
    } else if (f.text) {
      b.body = f.text;
    }
  } else if (f.text) {
    b.body = f.text;
  }
  const vars = Object.fromEntries(Object.entries(f.variables).filter(([, v]) => v.trim() !== ''));
  if (Object.keys(vars).length) b.variables = vars;
  const ids = f.attachments.filter((a) => a.upload && !a.error).map((a) => a.upload!.id);
  if (ids.length) b.attachments = ids;
  return b;
}

/** Whether files are still on their way up (sending waits for them). */
export function uploading(f: Compose): boolean {
  return f.attachments.some((a) => !a.upload && !a.error);
}

/** Characters as the server counts them (code points, not UTF-16 units). */
export function charCount(s: string): number {
  return Array.from(s).length;
}
