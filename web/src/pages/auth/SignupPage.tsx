import { PasswordField } from '@/components/PasswordField';
import { Alert, Anchor, Button, Divider, Progress, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, Navigate, useSearchParams } from 'react-router';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import { signIn } from '@/auth/actions';
import { safeRedirect, withRedirect } from '@/auth/redirect';
import { useSession } from '@/auth/useSession';
import { FormError } from '@/components/ErrorAlert';
import { FullPageLoader } from '@/components/FullPageLoader';
import { useFormErrors } from '@/lib/useFormErrors';
import { AuthLayout } from './AuthLayout';
import { SsoButtons } from './SsoButtons';

export const MIN_PASSWORD = 10;

/** A rough strength for the meter under the password field (0–100). */
export function passwordStrength(password: string): number {
  if (!password) return 0;
  let score = Math.min(password.length, 16) * 4;
  if (/[a-z]/.test(password) && /[A-Z]/.test(password)) score += 12;
  if (/\d/.test(password)) score += 12;
  if (/[^A-Za-z0-9]/.test(password)) score += 12;
  if (password.length < MIN_PASSWORD) score = Math.min(score, 30);
  return Math.min(100, score);
}

/**
 * Creates a user and their org, then signs in with the same credentials.
 * Signup answers alike whether or not the email exists (no enumeration), so
 * a failed sign-in afterwards means the email probably has an account.
 */
export function SignupPage() {
  const [params] = useSearchParams();
  const redirectParam = params.get('redirect');
  const target = safeRedirect(redirectParam);
  const { status } = useSession();
  const [existing, setExisting] = useState(false);
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', email: '', password: '', org_name: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter your name'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter a valid email address'),
      password: (v) => (v.length >= MIN_PASSWORD ? null : `Use at least ${MIN_PASSWORD} characters`),
      org_name: (v) => (v.trim() ? null : 'Name your organization'),
    },
  });
  const { formError, applyError, resetError } = useFormErrors(form);

  if (status === 'unknown') return <FullPageLoader />;
  if (status === 'authenticated') return <Navigate to={target} replace />;

  const submit = form.onSubmit(async (values) => {
    resetError();
    setExisting(false);
    const body = { name: values.name.trim(), email: values.email.trim(), password: values.password, org_name: values.org_name.trim() };
    try {
      await unwrap(api.POST('/api/v1/auth/signup', { body }));
    } catch (err) {
      applyError(err);
      return;
    }
    try {
      await signIn(body.email, body.password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setExisting(true);
      else applyError(err);
    }
  });

  const strength = passwordStrength(form.values.password);

  return (
    <AuthLayout>
      <Stack gap="lg">
        <div>
          <Title order={2} fz={26}>
            Create your account
          </Title>
          <Text c="dimmed" size="sm" mt={4}>
            Start with your own organization. You can invite your team afterwards.
          </Text>
        </div>
        {existing && (
          <Alert color="yellow" variant="light" icon={<IconInfoCircle size={18} />} data-testid="signup-existing">
            This email may already have an account —{' '}
            <Anchor component={Link} to={withRedirect('/login', redirectParam)} fw={600}>
              sign in instead
            </Anchor>
            .
          </Alert>
        )}
        <form onSubmit={submit} noValidate>
          <Stack gap="md">
            <TextInput label="Your name" autoComplete="name" placeholder="Ada Lovelace" required autoFocus {...form.getInputProps('name')} />
            <TextInput label="Work email" type="email" autoComplete="email" placeholder="you@company.com" required {...form.getInputProps('email')} />
            <div>
              <PasswordField
                label="Password"
                autoComplete="new-password"
                description={`At least ${MIN_PASSWORD} characters`}
                required
                {...form.getInputProps('password')}
              />
              {form.values.password && (
                <Progress
                  value={strength}
                  size={4}
                  mt={6}
                  color={strength < 40 ? 'red' : strength < 70 ? 'yellow' : 'teal'}
                  aria-label="Password strength"
                />
              )}
            </div>
            <TextInput label="Organization name" placeholder="Acme Inc." autoComplete="organization" required {...form.getInputProps('org_name')} />
            <FormError message={formError} />
            <Button type="submit" fullWidth size="md" loading={form.submitting}>
              Create account
            </Button>
          </Stack>
        </form>
        <Divider label="or sign up with" labelPosition="center" />
        <SsoButtons redirect={target} />
        <Text size="sm" ta="center" c="dimmed">
          Already have an account?{' '}
          <Anchor component={Link} to={withRedirect('/login', redirectParam)} fw={500}>
            Sign in
          </Anchor>
        </Text>
      </Stack>
    </AuthLayout>
  );
}
