import { Badge, Card, Group, List, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCheck, type Icon } from '@tabler/icons-react';
import { PageHeader } from '@/components/PageHeader';

/** What a section will do, told honestly until its release lands. */
export interface ComingSoonSpec {
  title: string;
  description: string;
  icon: Icon;
  /** What a user will be able to do here. */
  features: string[];
}

/** The empty state of a section that a later part of this release fills. */
export function ComingSoonPage({ spec }: { spec: ComingSoonSpec }) {
  return (
    <>
      <PageHeader title={spec.title} description={spec.description} />
      <Card p={0} data-testid="coming-soon">
        <Stack align="center" gap="md" px="lg" py={56} ta="center">
          <ThemeIcon size={64} radius="xl" variant="light">
            <spec.icon size={32} stroke={1.5} />
          </ThemeIcon>
          <Group gap="xs" justify="center">
            <Title order={3} fz="lg">
              {spec.title} is coming in this release
            </Title>
            <Badge variant="light" color="brand">
              In progress
            </Badge>
          </Group>
          <Text c="dimmed" size="sm" maw={520}>
            This part of Switchboard is being built right now. Nothing here is simulated: when it's ready, this page
            will show your organization's real data.
          </Text>
          <Card withBorder={false} bg="gray.0" radius="md" p="lg" maw={520} w="100%" ta="left">
            <Text size="xs" fw={600} tt="uppercase" c="dimmed" mb="sm" style={{ letterSpacing: '0.05em' }}>
              What you'll be able to do
            </Text>
            <List
              spacing={8}
              size="sm"
              icon={
                <ThemeIcon size={18} radius="xl" color="teal" variant="light">
                  <IconCheck size={12} stroke={2.5} />
                </ThemeIcon>
              }
            >
              {spec.features.map((f) => (
                <List.Item key={f}>{f}</List.Item>
              ))}
            </List>
          </Card>
        </Stack>
      </Card>
    </>
  );
}
