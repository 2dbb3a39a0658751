import { PasswordField } from '@/components/PasswordField';
import { Alert, Anchor, Button, Divider, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle, IconClockExclamation } from '@tabler/icons-react';
import { Link, Navigate, useSearchParams } from 'react-router';
import { ApiError } from '@/api/problem';
import { signIn } from '@/auth/actions';
import { safeRedirect, withRedirect } from '@/auth/redirect';
import { useSession } from '@/auth/useSession';
import { FormError } from '@/components/ErrorAlert';
import { FullPageLoader } from '@/components/FullPageLoader';
import { useFormErrors } from '@/lib/useFormErrors';
import { AuthLayout } from './AuthLayout';
import { SsoButtons } from './SsoButtons';
import { ssoErrorMessage } from './ssoErrors';

/** Email and password sign-in, SSO, and the way back to the page asked for. */
export function LoginPage() {
  const [params] = useSearchParams();
  const redirectParam = params.get('redirect');
  const target = safeRedirect(redirectParam);
  const ssoError = ssoErrorMessage(params.get('sso_error'));
  const { status, expired } = useSession();
  const form = useForm({
    mode: 'controlled',
    initialValues: { email: '', password: '' },
    validate: {
      email: (v) => (/^\S+@\S+$/.test(v.trim()) ? null : 'Enter your email address'),
      password: (v) => (v ? null : 'Enter your password'),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  if (status === 'unknown') return <FullPageLoader />;
  if (status === 'authenticated') return <Navigate to={target} replace />;

  const submit = form.onSubmit(async (values) => {
    resetError();
    try {
      await signIn(values.email.trim(), values.password);
      // The session flips to authenticated and the redirect above takes over.
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        applyError(new ApiError({ status: 401, detail: 'Incorrect email or password.', requestId: err.requestId }));
      } else {
        applyError(err);
      }
    }
  });

  return (
    <AuthLayout>
      <Stack gap="lg">
        <div>
          <Title order={2} fz={26}>
            Sign in
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Welcome back. Sign in to your Switchboard workspace.
          </Text>
        </div>
        {ssoError && (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Single sign-on failed" data-testid="sso-error">
            {ssoError}
          </Alert>
        )}
        {expired && (
          <Alert color="yellow" variant="light" icon={<IconClockExclamation size={18} />} data-testid="session-expired">
            Your session expired. Sign in again to continue where you left off.
          </Alert>
        )}
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <TextInput
              label="Email"
              type="email"
              autoComplete="username"
              placeholder="you@company.com"
              required
              data-autofocus
              autoFocus
              {...form.getInputProps('email')}
            />
            <PasswordField label="Password" autoComplete="current-password" required {...form.getInputProps('password')} />
            <FormError message={formError} />
            <Button type="submit" fullWidth size="md" loading={form.submitting}>
              Sign in
            </Button>
          </Stack>
        </form>
        <Divider label="or continue with" labelPosition="center" />
        <SsoButtons redirect={target} />
        <Text size="sm" ta="center" c="dimmed">
          New to Switchboard?{' '}
          <Anchor component={Link} to={withRedirect('/signup', redirectParam)} fw={500}>
            Create an account
          </Anchor>
        </Text>
      </Stack>
    </AuthLayout>
  );
}
