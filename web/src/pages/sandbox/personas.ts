/** The contacts the sandbox page plays, and what they exchange with the org. */
import type { SandboxMessage } from './api';

export type ChatChannel = 'whatsapp' | 'telegram' | 'instagram';

/** A simulated person: a phone number, a Telegram chat or an Instagram user. */
export interface Persona {
  name: string;
  /** WhatsApp: E.164. */
  phone: string;
  /** Telegram chat id / Instagram-scoped id (digits). */
  id: string;
  /** Telegram username, without @. */
  username: string;
}

const FIRST = ['Maria', 'Alex', 'Sam', 'Priya', 'Jonas', 'Aiko', 'Lucas', 'Fatima', 'Noah', 'Elena', 'Omar', 'Grace'];
const LAST = ['Garcia', 'Kim', 'Lee', 'Patel', 'Berg', 'Tanaka', 'Silva', 'Haddad', 'Miller', 'Rossi', 'Khan', 'Hopper'];

function pick<T>(list: T[], rnd: () => number): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function digits(n: number, rnd: () => number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10).toString();
  return s;
}

/**
 * A new person for the channel. Numbers are US 555 numbers (never real),
 * and avoid the sandbox's magic endings (0000 invalid, 0429, 0500...).
 */
export function randomPersona(channel: ChatChannel, rnd: () => number = Math.random): Persona {
  const first = pick(FIRST, rnd);
  const last = pick(LAST, rnd);
  let line = digits(4, rnd);
  while (/^0(000|001|002|003|429|500)$/.test(line)) line = digits(4, rnd);
  return {
    name: `${first} ${last}`,
    phone: channel === 'whatsapp' ? `+1415555${line}` : '',
    id: channel === 'telegram' ? `${1 + Math.floor(rnd() * 8)}${digits(8, rnd)}` : channel === 'instagram' ? `17841${digits(12, rnd)}` : '',
    username: channel === 'telegram' ? `${first}${last}`.toLowerCase() : '',
  };
}

/** The persona's address as the provider (and the sandbox's records) know it. */
export function personaAddress(channel: ChatChannel, p: Persona): string {
  return channel === 'whatsapp' ? p.phone : p.id;
}

/** Why the persona can't write yet, or null. */
export function personaProblem(channel: ChatChannel, p: Persona): string | null {
  if (channel === 'whatsapp' && !/^\+[1-9][0-9]{6,14}$/.test(p.phone.trim())) return 'The phone number must be in E.164, like +14155550123.';
  if (channel !== 'whatsapp' && p.id.trim() && !/^[1-9][0-9]{0,19}$/.test(p.id.trim())) return 'The id must be digits.';
  return null;
}

/**
 * The conversation as the persona's phone shows it: what they sent and
 * what the org sent them on the channel, oldest first.
 */
export function phoneThread(messages: SandboxMessage[], channel: ChatChannel, address: string): SandboxMessage[] {
  if (!address) return [];
  return messages
    .filter((m) => m.channel === channel && (m.direction === 'inbound' ? m.from === address : m.to === address))
    .sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
}

/** Reads a file as base64 (without the data: prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error ?? new Error('the file cannot be read'));
    r.readAsDataURL(file);
  });
}

/** The largest file the page plays (the server's limit). */
export const MAX_PLAY_BYTES = 5 * 1024 * 1024;
