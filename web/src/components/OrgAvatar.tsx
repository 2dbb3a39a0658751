import { Avatar } from '@mantine/core';
import { initials } from '@/lib/format';

const COLORS = ['brand', 'teal', 'grape', 'orange', 'cyan', 'pink', 'lime', 'violet'];

function colorFor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return COLORS[h % COLORS.length] ?? 'brand';
}

/** A square tile with an org's initials, colored by its id. */
export function OrgAvatar({ id, name, size = 28 }: { id: string; name: string; size?: number }) {
  return (
    <Avatar size={size} radius="sm" color={colorFor(id)} variant="filled" aria-hidden>
      {initials(name)}
    </Avatar>
  );
}
