/** The expiry choices of the create-key form. */
export type ExpiryChoice = 'never' | '30' | '90' | '365' | 'custom';

/**
 * The RFC 3339 expiry for a choice: undefined for never, now + N days, or the
 * end of the chosen day in the user's timezone.
 */
export function expiryToRfc3339(choice: ExpiryChoice, date: Date | string | null, now: Date = new Date()): string | undefined {
  if (choice === 'never') return undefined;
  if (choice === 'custom') {
    if (!date) return undefined;
    const d = typeof date === 'string' ? parseLocalDate(date) : new Date(date);
    d.setHours(23, 59, 59, 0);
    return d.toISOString();
  }
  return new Date(now.getTime() + Number(choice) * 86_400_000).toISOString();
}

function parseLocalDate(value: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(value);
}
