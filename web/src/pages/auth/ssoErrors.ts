/** Messages for /login?sso_error=<code>, where a failed SSO callback lands. */
const MESSAGES: Record<string, string> = {
  access_denied: 'Sign-in was cancelled at the provider.',
  provider_error: "The provider couldn't sign you in. Try again.",
  invalid_state: 'That sign-in attempt expired or was already used. Start again.',
  not_configured: "This sign-in method isn't configured on this server.",
  unavailable: "The sign-in provider can't be reached right now. Try again later, or use your password.",
  exchange_failed: 'The provider refused the sign-in. Start again.',
  invalid_token: "The provider's answer couldn't be verified. Start again.",
  email_missing: "The provider didn't share an email address, so we can't match you to an account.",
  email_not_verified: "Your email isn't verified with the provider. Verify it there, or sign in with your password.",
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

/** The sentence for an sso_error code; null when there is none. */
export function ssoErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return MESSAGES[code] ?? "Single sign-on didn't work. Try again, or use your password.";
}
