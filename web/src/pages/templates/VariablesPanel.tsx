import { ActionIcon, Badge, Button, Card, Group, Stack, Text, TextInput, Title, Tooltip, UnstyledButton } from '@mantine/core';
import { IconAlertTriangle, IconPlus, IconTrash } from '@tabler/icons-react';
import { BUILTIN_VARIABLES, type Channel } from './api';
import { isBuiltin, newRow, usedVariables, type VarRow } from './variables';

/** Declares the template's variables and inserts {{name}} at the cursor. */
export function VariablesPanel({
  rows,
  onChange,
  used,
  onInsert,
  readOnly,
  channel,
  error,
  warnings = {},
}: {
  rows: VarRow[];
  onChange: (rows: VarRow[]) => void;
  used: string[];
  onInsert: (name: string) => void;
  readOnly: boolean;
  channel: Channel;
  error?: string;
  /** The live preview's problems by declared name: unused, or not declarable. */
  warnings?: Record<string, string>;
}) {
  const declared = new Set(rows.map((r) => r.name.trim()).filter(Boolean));
  const undeclared = usedVariables(...used).filter((n) => !declared.has(n) && !isBuiltin(n));
  const patch = (key: string, change: Partial<VarRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const builtins = BUILTIN_VARIABLES.filter((b) => channel === 'email' || b.name !== 'unsubscribe_url');

  return (
    <Card data-testid="variables-panel">
      <Group justify="space-between" mb={4} wrap="nowrap">
        <Title order={4} fz="md">
          Variables
        </Title>
        {!readOnly && (
          <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rows, newRow()])}>
            Add variable
          </Button>
        )}
      </Group>
      <Text size="xs" c="dimmed" mb="md">
        Declare every variable that isn't built in, such as <code>{'{{attributes.plan}}'}</code>. The sample is what previews show; the default is
        used when a send has no value. Click a name to insert it at the cursor.
      </Text>

      {undeclared.length > 0 && !readOnly && (
        <Group gap={6} mb="sm" wrap="wrap" data-testid="undeclared-hint">
          <Text size="xs" c="orange.8">
            Used but not declared:
          </Text>
          {undeclared.map((n) => (
            <Button key={n} size="compact-xs" variant="light" color="orange" leftSection={<IconPlus size={12} />} onClick={() => onChange([...rows, newRow({ name: n })])}>
              {n}
            </Button>
          ))}
        </Group>
      )}

      <Stack gap="sm">
        {rows.length === 0 && (
          <Text size="sm" c="dimmed">
            No declared variables.
          </Text>
        )}
        {rows.map((r, i) => (
          <Stack key={r.key} gap={2}>
            <Group gap="xs" align="flex-end" wrap="wrap" data-testid={`variable-row-${i}`}>
              <TextInput
                label={i === 0 ? 'Name' : undefined}
                aria-label="Variable name"
                placeholder="attributes.plan"
                size="xs"
                value={r.name}
                onChange={(e) => patch(r.key, { name: e.currentTarget.value })}
                readOnly={readOnly}
                style={{ flex: '1 1 140px' }}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              <TextInput
                label={i === 0 ? 'Sample' : undefined}
                aria-label="Sample value"
                placeholder="Pro"
                size="xs"
                value={r.sample}
                onChange={(e) => patch(r.key, { sample: e.currentTarget.value })}
                readOnly={readOnly}
                style={{ flex: '1 1 110px' }}
              />
              <TextInput
                label={i === 0 ? 'Default' : undefined}
                aria-label="Default value"
                placeholder="None"
                size="xs"
                value={r.default}
                onChange={(e) => patch(r.key, { default: e.currentTarget.value })}
                readOnly={readOnly}
                style={{ flex: '1 1 110px' }}
              />
              <Group gap={2} wrap="nowrap">
                <Tooltip label="Insert at cursor">
                  <Button size="xs" variant="subtle" px={6} disabled={readOnly || !r.name.trim()} onClick={() => onInsert(r.name.trim())} aria-label={`Insert ${r.name}`}>
                    {'{{ }}'}
                  </Button>
                </Tooltip>
                {!readOnly && (
                  <ActionIcon variant="subtle" color="gray" aria-label="Remove variable" onClick={() => onChange(rows.filter((x) => x.key !== r.key))}>
                    <IconTrash size={16} />
                  </ActionIcon>
                )}
              </Group>
            </Group>
            {warnings[r.name.trim()] && (
              <Group gap={4} wrap="nowrap" data-testid={`variable-warning-${i}`}>
                <IconAlertTriangle size={13} color="var(--mantine-color-orange-7)" style={{ flex: 'none' }} />
                <Text size="xs" c="orange.8">
                  {warnings[r.name.trim()]}
                </Text>
              </Group>
            )}
          </Stack>
        ))}
        {error && (
          <Text size="xs" c="red">
            {error}
          </Text>
        )}
      </Stack>

      <Text size="xs" fw={600} c="dimmed" tt="uppercase" mt="lg" mb={6}>
        Built-in
      </Text>
      <Group gap={6} wrap="wrap">
        {builtins.map((b) => (
          <Tooltip key={b.name} label={b.description}>
            <UnstyledButton disabled={readOnly} onClick={() => onInsert(b.name)} aria-label={`Insert ${b.name}`}>
              <Badge variant="light" color="gray" tt="none" style={{ cursor: readOnly ? 'default' : 'pointer', fontFamily: 'var(--mantine-font-family-monospace)' }}>
                {`{{${b.name}}}`}
              </Badge>
            </UnstyledButton>
          </Tooltip>
        ))}
      </Group>
    </Card>
  );
}
