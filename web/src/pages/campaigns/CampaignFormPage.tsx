import { ActionIcon, Alert, Anchor, Badge, Button, Card, Grid, Group, MultiSelect, NumberInput, Radio, SegmentedControl, Select, Skeleton, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { IconArrowDown, IconArrowLeft, IconArrowUp, IconDeviceFloppy, IconRocket } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { mapErrorToForm } from '@/api/problem';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { PageHeader } from '@/components/PageHeader';
import { useCurrent } from '@/layout/CurrentContext';
import { formatNumber } from '@/lib/format';
import { useGroups } from '@/pages/contacts/api';
import { useUsableTemplates } from '@/pages/messages/api';
import { CHANNEL_META, CHANNEL_OPTIONS, type Channel } from '@/pages/messages/model';
import { ChannelLabel } from '@/pages/messages/parts';
import { useCampaign, useCampaignAction, useEstimate, useSaveCampaign } from './api';
import { audienceOf, type Campaign, CPATHS, EMPTY_FORM, fromCampaign, type FormValues, moveChannel, reorderChannels, toInput, validate } from './model';
import { EstimatePanel } from './parts';
import { StartDialog } from './StartDialog';

/** A channel's row: its place in the order, and its template. */
function ChannelRow({
  channel,
  index,
  count,
  ordered,
  value,
  error,
  onChange,
  onMove,
}: {
  channel: Channel;
  index: number;
  count: number;
  ordered: boolean;
  value: string | undefined;
  error: string | undefined;
  onChange: (id: string | null) => void;
  onMove: (by: -1 | 1) => void;
}) {
  const templates = useUsableTemplates(channel);
  const options = (templates.data?.items ?? []).map((t) => ({ value: t.id, label: t.name }));
  const label = CHANNEL_META[channel].label;
  return (
    <Group gap="sm" align="flex-start" wrap="nowrap" data-testid={`channel-row-${channel}`}>
      {ordered && (
        <Badge variant="light" color="gray" circle mt={30}>
          {index + 1}
        </Badge>
      )}
      <Select
        style={{ flex: 1, minWidth: 0 }}
        label={<ChannelLabel channel={channel} />}
        aria-label={`${label} template`}
        placeholder={templates.isPending ? 'Loading templates…' : options.length ? 'Choose an approved template' : 'No approved template yet'}
        data={options}
        value={value ?? null}
        onChange={onChange}
        searchable
        nothingFoundMessage="No approved template matches"
        error={error}
        description={
          !templates.isPending && options.length === 0 ? (
            <>
              <Anchor component={Link} to={`/templates/new?channel=${channel}`} size="xs">
                Write one
              </Anchor>{' '}
              and get it approved first.
            </>
          ) : undefined
        }
        data-testid={`template-${channel}`}
      />
      {ordered && count > 1 && (
        <Group gap={2} mt={26} wrap="nowrap">
          <ActionIcon variant="subtle" color="gray" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => onMove(-1)}>
            <IconArrowUp size={16} />
          </ActionIcon>
          <ActionIcon variant="subtle" color="gray" aria-label={`Move ${label} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
            <IconArrowDown size={16} />
          </ActionIcon>
        </Group>
      )}
    </Group>
  );
}

/** The form, once the campaign being edited (if any) is loaded. */
function CampaignForm({ existing }: { existing: Campaign | null }) {
  const navigate = useNavigate();
  const { org } = useCurrent();
  const timeZone = org?.timezone ?? 'UTC';
  const groups = useGroups();
  const save = useSaveCampaign();
  const action = useCampaignAction();
  const [saved, setSaved] = useState<Campaign | null>(existing);
  const [formError, setFormError] = useState<string | null>(null);
  const location = useLocation();
  // A new campaign's first save moves the page to its edit URL; the start
  // asked for with that save travels in the location state, should the
  // move remount the form.
  const [starting, setStarting] = useState(() => !!(location.state as { start?: boolean } | null)?.start);
  const form = useForm<FormValues>({
    mode: 'controlled',
    initialValues: existing ? fromCampaign(existing, timeZone) : EMPTY_FORM,
    validate: (v) => validate(v),
  });
  const v = form.getValues();

  const audience = useMemo(() => audienceOf(v), [v.channels, v.templates, v.include_group_ids, v.exclude_group_ids, v.delivery]);
  const [debounced] = useDebouncedValue(audience, 400);
  const estimate = useEstimate(debounced);

  const groupOptions = (groups.data?.items ?? []).map((g) => ({ value: g.id, label: `${g.name} (${formatNumber(g.contact_count)})` }));

  const setChannels = (selected: string[]) => {
    form.setFieldValue('channels', reorderChannels(v.channels, selected as Channel[]));
    form.clearFieldError('channels');
  };

  /** Saves (create or update); null when the form or the server refused. */
  const persist = async (start = false): Promise<Campaign | null> => {
    setFormError(null);
    if (form.validate().hasErrors) return null;
    try {
      const c = await save.mutateAsync({ id: saved?.id, body: toInput(form.getValues()) });
      setSaved(c);
      // From now on the page edits this draft: a second save must not create another.
      if (!saved) navigate(CPATHS.edit(c.id), { replace: true, state: { start } });
      return c;
    } catch (err) {
      const mapped = mapErrorToForm(err, [...Object.keys(form.getValues()), 'throttle_per_second']);
      const fieldErrors = { ...mapped.fieldErrors };
      if (fieldErrors.throttle_per_second) {
        fieldErrors.throttle = fieldErrors.throttle_per_second;
        delete fieldErrors.throttle_per_second;
      }
      form.setErrors(fieldErrors);
      setFormError(mapped.formError);
      return null;
    }
  };

  return (
    <>
      <Anchor component={Link} to={saved ? CPATHS.one(saved.id) : CPATHS.list} size="sm" c="dimmed" mb="xs" style={{ display: 'inline-flex', alignItems: 'center', gap: 4 }}>
        <IconArrowLeft size={14} /> {saved ? 'Back to the campaign' : 'Campaigns'}
      </Anchor>
      <PageHeader
        title={existing ? `Edit “${existing.name}”` : 'New campaign'}
        description="Choose who receives it and on which channels; the estimate on the right counts the reach and the cost as you go."
      />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void persist().then((c) => c && navigate(CPATHS.one(c.id)));
        }}
      >
        <Grid gutter="lg">
          <Grid.Col span={{ base: 12, md: 7, lg: 8 }}>
            <Stack gap="md">
              <Card withBorder>
                <Stack gap="md">
                  <TextInput label="Name" placeholder="Spring sale announcement" withAsterisk {...form.getInputProps('name')} data-testid="campaign-name-input" />
                </Stack>
              </Card>
              <Card withBorder>
                <Title order={4} mb={4}>
                  Channels
                </Title>
                <Text size="sm" c="dimmed" mb="md">
                  Each channel sends one approved template of that channel.
                </Text>
                <Stack gap="md">
                  <MultiSelect label="Send on" placeholder={v.channels.length ? undefined : 'Choose channels'} data={CHANNEL_OPTIONS} value={v.channels} onChange={setChannels} error={form.errors.channels} withAsterisk data-testid="channels" />
                  {v.channels.map((ch, i) => (
                    <ChannelRow
                      key={ch}
                      channel={ch}
                      index={i}
                      count={v.channels.length}
                      ordered={v.delivery === 'first_available'}
                      value={v.templates[ch]}
                      error={form.errors[`templates.${ch}`] as string | undefined}
                      onChange={(id) => {
                        form.setFieldValue('templates', { ...form.getValues().templates, [ch]: id ?? undefined });
                        form.clearFieldError(`templates.${ch}`);
                      }}
                      onMove={(by) => form.setFieldValue('channels', moveChannel(form.getValues().channels, i, by))}
                    />
                  ))}
                  {v.channels.length > 1 && (
                    <Radio.Group label="When a contact can be reached on several" value={v.delivery} onChange={(d) => form.setFieldValue('delivery', d as FormValues['delivery'])}>
                      <Stack gap="xs" mt={6}>
                        <Radio value="first_available" label="First available, in this order" description="Each contact gets one message, on the first channel above it has an address on (and has not opted out of)." />
                        <Radio value="every_channel" label="Every selected channel" description="Each contact gets the message on every selected channel it can be reached on." />
                      </Stack>
                    </Radio.Group>
                  )}
                </Stack>
              </Card>
              <Card withBorder>
                <Title order={4} mb={4}>
                  Audience
                </Title>
                <Text size="sm" c="dimmed" mb="md">
                  A contact in several groups is sent to once. Suppressed addresses and contacts who opted out are left out by themselves.
                </Text>
                <Stack gap="md">
                  {groups.isError && <ErrorAlert error={groups.error} title="Couldn't load the groups" />}
                  <MultiSelect
                    label="Send to these groups"
                    placeholder={v.include_group_ids.length ? undefined : 'Choose groups'}
                    data={groupOptions}
                    searchable
                    withAsterisk
                    nothingFoundMessage="No group matches"
                    {...form.getInputProps('include_group_ids')}
                    data-testid="include-groups"
                  />
                  <MultiSelect
                    label="Leave out these groups"
                    placeholder={v.exclude_group_ids.length ? undefined : 'Optional'}
                    data={groupOptions}
                    searchable
                    nothingFoundMessage="No group matches"
                    {...form.getInputProps('exclude_group_ids')}
                    data-testid="exclude-groups"
                  />
                  {groups.data && groupOptions.length === 0 && (
                    <Alert color="yellow" variant="light">
                      No groups yet. <Anchor component={Link} to="/contacts/groups">Create a group</Anchor> and add contacts to it first.
                    </Alert>
                  )}
                </Stack>
              </Card>
              <Card withBorder>
                <Title order={4} mb="md">
                  Timing
                </Title>
                <Stack gap="md">
                  <SegmentedControl
                    value={v.when}
                    onChange={(w) => form.setFieldValue('when', w as FormValues['when'])}
                    data={[
                      { value: 'now', label: 'Send when I start it' },
                      { value: 'schedule', label: 'Schedule' },
                    ]}
                    data-testid="when"
                    style={{ alignSelf: 'flex-start' }}
                  />
                  {v.when === 'schedule' && (
                    <TextInput
                      type="datetime-local"
                      label="Start at"
                      description={`In the organization’s timezone, ${timeZone}. Starting the campaign then schedules it for this time.`}
                      maw={320}
                      {...form.getInputProps('scheduled_at')}
                      data-testid="scheduled-at"
                    />
                  )}
                  <NumberInput
                    label="Throttle"
                    description="At most this many messages a second. Leave empty to send as fast as the channels allow."
                    placeholder="No limit"
                    suffix=" / second"
                    min={1}
                    max={100000}
                    allowDecimal={false}
                    maw={320}
                    {...form.getInputProps('throttle')}
                    data-testid="throttle"
                  />
                </Stack>
              </Card>
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 5, lg: 4 }}>
            <Stack gap="md" style={{ position: 'sticky', top: 'calc(var(--app-shell-header-offset, 60px) + var(--mantine-spacing-md))' }}>
              <EstimatePanel estimate={estimate.data} loading={estimate.isFetching} error={estimate.error} incomplete={!debounced && !audience} />
              <FormError message={formError} />
              <Group gap="sm" grow>
                <Button type="submit" variant="default" leftSection={<IconDeviceFloppy size={16} />} loading={save.isPending && !starting}>
                  Save draft
                </Button>
                <Button
                  leftSection={<IconRocket size={16} />}
                  loading={save.isPending && starting}
                  onClick={() => {
                    setStarting(true);
                    void persist(true).then((c) => {
                      if (!c) setStarting(false);
                    });
                  }}
                  data-testid="start"
                >
                  {v.when === 'schedule' ? 'Schedule…' : 'Start…'}
                </Button>
              </Group>
            </Stack>
          </Grid.Col>
        </Grid>
      </form>
      <StartDialog
        campaign={starting && !save.isPending ? (saved ?? undefined) : undefined}
        opened={starting && !save.isPending && !!saved}
        onClose={() => setStarting(false)}
        timeZone={timeZone}
        onStart={async () => {
          const c = saved!;
          const later = !!c.scheduled_at && new Date(c.scheduled_at).getTime() > Date.now();
          await action.mutateAsync({ id: c.id, action: 'start', now: !later });
          navigate(CPATHS.one(c.id));
        }}
      />
    </>
  );
}

/** Create a campaign, or edit a draft. */
export function CampaignFormPage() {
  const { id } = useParams();
  const campaign = useCampaign(id);
  if (!id) return <CampaignForm existing={null} />;
  if (campaign.isPending) {
    return (
      <Stack>
        <Skeleton h={40} w={320} />
        <Skeleton h={300} />
      </Stack>
    );
  }
  if (campaign.isError) return <ErrorAlert error={campaign.error} title="Couldn't load the campaign" onRetry={() => void campaign.refetch()} />;
  if (campaign.data.status !== 'draft') {
    return (
      <Alert color="yellow" title="Only drafts can be edited">
        This campaign is {campaign.data.status}. <Anchor component={Link} to={CPATHS.one(campaign.data.id)}>Open it</Anchor>.
      </Alert>
    );
  }
  return <CampaignForm existing={campaign.data} />;
}
