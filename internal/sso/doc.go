// Package sso signs people in with OpenID Connect providers (Google,
// Microsoft) using the authorization-code flow with PKCE (S256), state and
// nonce.
//
// /start stores a login state (its SHA-256, the nonce, the PKCE verifier and
// where to return) for ten minutes and sends the browser to the provider.
// The provider sends it back to /callback, which spends the state (single
// use), exchanges the code, verifies the ID token and its nonce, and finds
// or creates the user:
//
//   - an identity (provider, subject) already linked: its user;
//   - else a verified email that has an account: the identity is linked to
//     it. When that account's email had never been verified, its password
//     is removed and its sessions revoked, so whoever registered the address
//     before its owner cannot keep a way in (pre-account takeover);
//   - else a verified email: a new user, with an org of their own;
//   - else: refused, since an unverified email proves nothing.
//
// It then starts a session as a password sign-in does (the sb_session
// cookie) and returns the browser to the page it came from. Every failure
// of the callback returns the browser to /login?sso_error=<code> rather
// than to an error page; the codes are listed at [CallbackErrorCodes].
package sso
