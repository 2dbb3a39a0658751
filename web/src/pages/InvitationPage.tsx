import { PasswordField } from '@/components/PasswordField';
import { Alert, Anchor, Badge, Button, Card, Group, Loader, Skeleton, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle, IconLinkOff, IconMailOpened } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import { acceptInvitation, useMe, usePublicInvitation } from '@/api/queries';
import type { PublicInvitation, Role } from '@/api/types';
import { signOut } from '@/auth/actions';
import { session } from '@/auth/session';
import { useSession } from '@/auth/useSession';
import { ErrorAlert, FormError } from '@/components/ErrorAlert';
import { formatDate } from '@/lib/format';
import { ROLE_COLORS, ROLE_DESCRIPTIONS, ROLE_LABELS } from '@/lib/roles';
import { useFormErrors } from '@/lib/useFormErrors';
import { AuthLayout } from './auth/AuthLayout';
import { MIN_PASSWORD } from './auth/SignupPage';

/**
 * The page an invitation link opens: it shows the org and role, and lets a
 * signed-in user accept, or a new user create their account and accept.
 */
export function InvitationPage() {
  const { token = '' } = useParams();
  const invitation = usePublicInvitation(token);
  const { status } = useSession();
  // Set once the invitation is accepted: the session changes under us while
  // the app switches to the new org, and nothing else should flash meanwhile.
  const [joining, setJoining] = useState(false);

  return (
    <AuthLayout>
      {invitation.isPending || status === 'unknown' ? (
        <Stack gap="md">
          <Skeleton h={32} w="70%" />
          <Skeleton h={90} />
          <Skeleton h={40} />
        </Stack>
      ) : joining ? (
        <Stack gap="sm" align="center" py="xl" role="status">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Joining {invitation.data?.org_name}…
          </Text>
        </Stack>
      ) : invitation.isError ? (
        <InvalidInvitation error={invitation.error} />
      ) : (
        <Stack gap="lg">
          <InvitationSummary inv={invitation.data} />
          {status === 'authenticated' ? (
            <AcceptAsUser token={token} inv={invitation.data} onJoining={() => setJoining(true)} />
          ) : (
            <AcceptAsNewUser token={token} inv={invitation.data} onJoining={() => setJoining(true)} />
          )}
        </Stack>
      )}
    </AuthLayout>
  );
}

function InvalidInvitation({ error }: { error: unknown }) {
  const gone = error instanceof ApiError && [404, 410].includes(error.status);
  if (!gone) return <ErrorAlert error={error} title="We couldn't open this invitation" />;
  return (
    <Stack gap="md" align="flex-start" data-testid="invitation-invalid">
      <ThemeIcon size={48} radius="xl" variant="light" color="gray">
        <IconLinkOff size={24} />
      </ThemeIcon>
      <Title order={2} fz={24}>
        This invitation isn't valid
      </Title>
      <Text c="dimmed" size="sm">
        The link has expired, was revoked, or has already been used. Ask the person who invited you to send a new one.
      </Text>
      <Button component={Link} to="/login" variant="default">
        Go to sign in
      </Button>
    </Stack>
  );
}

function InvitationSummary({ inv }: { inv: PublicInvitation }) {
  const role = inv.role as Role;
  return (
    <Stack gap="md">
      <ThemeIcon size={48} radius="xl" variant="light">
        <IconMailOpened size={24} />
      </ThemeIcon>
      <div>
        <Title order={2} fz={26}>
          Join {inv.org_name}
        </Title>
        <Text c="dimmed" size="sm" mt={4}>
          {inv.inviter_name ? `${inv.inviter_name} invited you` : "You've been invited"} to join <b>{inv.org_name}</b> on Switchboard.
        </Text>
      </div>
      <Card withBorder bg="gray.0" p="md">
        <Group justify="space-between" wrap="nowrap">
          <div style={{ minWidth: 0 }}>
            <Text size="xs" c="dimmed">
              Invitation for
            </Text>
            <Text size="sm" fw={600} truncate="end">
              {inv.email}
            </Text>
          </div>
          <Badge variant="light" color={ROLE_COLORS[role]} size="lg">
            {ROLE_LABELS[role]}
          </Badge>
        </Group>
        <Text size="xs" c="dimmed" mt="xs">
          {ROLE_DESCRIPTIONS[role]}. Expires {formatDate(inv.expires_at)}.
        </Text>
      </Card>
    </Stack>
  );
}

function useFinish() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return async (orgId: string) => {
    // Make the invited org the active one, whatever org the token had.
    try {
      const token = await unwrap(api.POST('/api/v1/auth/switch-org', { body: { org_id: orgId } }));
      session.setToken(token);
    } catch {
      // Accepting worked; landing in another org is not worth an error.
    }
    queryClient.removeQueries();
    navigate('/', { replace: true });
  };
}

function AcceptAsUser({ token, inv, onJoining }: { token: string; inv: PublicInvitation; onJoining: () => void }) {
  const me = useMe();
  const finish = useFinish();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (me.isPending) return <Skeleton h={40} />;
  if (me.isError) return <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />;

  const email = me.data.user.email;
  const matches = email.toLowerCase() === inv.email.toLowerCase();

  if (!matches) {
    return (
      <Stack gap="md">
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="This invitation is for another email">
          You're signed in as <b>{email}</b>, but the invitation was sent to <b>{inv.email}</b>. Sign out, then open the
          link again to accept it as {inv.email}.
        </Alert>
        <Button variant="default" onClick={() => void signOut(queryClient)}>
          Sign out
        </Button>
      </Stack>
    );
  }

  const accept = async () => {
    setBusy(true);
    setError(null);
    try {
      const result = await acceptInvitation(token, {});
      onJoining();
      await finish(result.org_id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Stack gap="md">
      <Text size="sm">
        You're signed in as <b>{email}</b>.
      </Text>
      <ErrorAlert error={error} />
      <Button size="md" onClick={() => void accept()} loading={busy} data-testid="accept-invitation">
        Accept and join {inv.org_name}
      </Button>
    </Stack>
  );
}

function AcceptAsNewUser({ token, inv, onJoining }: { token: string; inv: PublicInvitation; onJoining: () => void }) {
  const finish = useFinish();
  const [hasAccount, setHasAccount] = useState(false);
  const redirect = `/invitations/${encodeURIComponent(token)}`;
  const loginLink = `/login?redirect=${encodeURIComponent(redirect)}`;
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', password: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter your name'),
      password: (v) => (v.length >= MIN_PASSWORD ? null : `Use at least ${MIN_PASSWORD} characters`),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  const submit = form.onSubmit(async (values) => {
    resetError();
    setHasAccount(false);
    try {
      const result = await acceptInvitation(token, { name: values.name.trim(), password: values.password, cookie: true });
      if (!result.access_token) throw new ApiError({ status: 500, detail: 'The server accepted the invitation but did not sign you in. Sign in to continue.' });
      onJoining();
      session.setToken({ access_token: result.access_token, expires_in: result.expires_in ?? 900 });
      await finish(result.org_id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) setHasAccount(true);
      else applyError(err);
    }
  });

  return (
    <Stack gap="md">
      {hasAccount ? (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title="You already have an account" data-testid="invitation-has-account">
          {inv.email} already has a Switchboard account.{' '}
          <Anchor component={Link} to={loginLink} fw={600}>
            Sign in to accept
          </Anchor>
          .
        </Alert>
      ) : (
        <Text size="sm" c="dimmed">
          Create your account to accept.
        </Text>
      )}
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput label="Email" value={inv.email} readOnly />
          <TextInput label="Your name" autoComplete="name" required autoFocus {...form.getInputProps('name')} />
          <PasswordField label="Password" autoComplete="new-password" description={`At least ${MIN_PASSWORD} characters`} required {...form.getInputProps('password')} />
          <FormError message={formError} />
          <Button type="submit" size="md" fullWidth loading={form.submitting} data-testid="accept-invitation">
            Create account and join
          </Button>
        </Stack>
      </form>
      <Text size="sm" c="dimmed" ta="center">
        Already have an account?{' '}
        <Anchor component={Link} to={loginLink} fw={500}>
          Sign in to accept
        </Anchor>
      </Text>
    </Stack>
  );
}
