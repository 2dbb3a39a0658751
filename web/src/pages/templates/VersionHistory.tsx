import { Badge, Card, Group, Skeleton, Stack, Text, Title } from '@mantine/core';
import { ErrorAlert } from '@/components/ErrorAlert';
import { formatDateTime } from '@/lib/format';
import { STATUS_COLOR, STATUS_LABEL, useTemplateVersions, type Status, type Template } from './api';

/** The template's versions, newest first, with the one in use marked. */
export function VersionHistory({ template }: { template: Template }) {
  const versions = useTemplateVersions(template.id);
  return (
    <Card>
      <Title order={4} fz="md" mb="sm">
        Version history
      </Title>
      {versions.isPending ? (
        <Stack gap="xs">
          <Skeleton h={40} />
          <Skeleton h={40} />
        </Stack>
      ) : versions.isError ? (
        <ErrorAlert error={versions.error} title="Couldn't load versions" onRetry={() => void versions.refetch()} />
      ) : (
        <Stack gap={0} data-testid="version-history">
          {(versions.data.items ?? []).map((v, i) => (
            <Group
              key={v.id}
              justify="space-between"
              wrap="nowrap"
              py="xs"
              data-testid={`version-${v.version}`}
              style={i > 0 ? { borderTop: '1px solid var(--mantine-color-gray-2)' } : undefined}
              align="flex-start"
            >
              <Stack gap={2} style={{ minWidth: 0 }}>
                <Group gap={6}>
                  <Text size="sm" fw={600}>
                    Version {v.version}
                  </Text>
                  {v.in_use && (
                    <Badge size="xs" color="green" variant="filled">
                      In use
                    </Badge>
                  )}
                </Group>
                <Text size="xs" c="dimmed">
                  {v.approved_at
                    ? `Approved ${formatDateTime(v.approved_at)}`
                    : v.rejected_at
                      ? `Rejected ${formatDateTime(v.rejected_at)}`
                      : v.submitted_at
                        ? `Submitted ${formatDateTime(v.submitted_at)}`
                        : `Edited ${formatDateTime(v.updated_at)}`}
                  {v.superseded_at ? ` · superseded ${formatDateTime(v.superseded_at)}` : ''}
                </Text>
                {v.rejection_reason && (
                  <Text size="xs" c="red.7" style={{ overflowWrap: 'anywhere' }}>
                    “{v.rejection_reason}”
                  </Text>
                )}
              </Stack>
              <Badge size="sm" variant="light" color={v.superseded_at ? 'gray' : STATUS_COLOR[v.status as Status]}>
                {v.superseded_at ? 'Superseded' : STATUS_LABEL[v.status as Status]}
              </Badge>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}
