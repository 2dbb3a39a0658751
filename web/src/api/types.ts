/**
 * Names for the API's shapes, taken from the generated schema by path so
 * that the app does not depend on how the server names its components.
 */
import type { paths } from './schema';

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer Res }
  ? JsonOf<Res[Extract<keyof Res, 200 | 201 | '200' | '201'>]>
  : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type Items<T> = T extends { items?: infer I } ? NonNullable<I> extends readonly (infer E)[] ? E : never : never;

export type Me = Ok<paths['/api/v1/me']['get']>;
export type User = Ok<paths['/api/v1/me']['patch']>;
export type Org = Ok<paths['/api/v1/org']['get']>;
export type OrgListItem = Items<Ok<paths['/api/v1/orgs']['get']>>;
export type Membership = Items<Pick<Me, 'memberships'> extends { memberships: infer M } ? { items: M } : never>;
export type Member = Items<Ok<paths['/api/v1/org/members']['get']>>;
export type Invitation = Items<Ok<paths['/api/v1/org/invitations']['get']>>;
export type CreatedInvitation = Ok<paths['/api/v1/org/invitations']['post']>;
export type PublicInvitation = Ok<paths['/api/v1/invitations/{token}']['get']>;
export type ApiKey = Items<Ok<paths['/api/v1/api-keys']['get']>>;
export type ApiKeyWithSecret = Ok<paths['/api/v1/api-keys']['post']>;
export type ApiKeyScope = Items<Ok<paths['/api/v1/api-keys/scopes']['get']>>;
export type AcceptResult = Ok<paths['/api/v1/invitations/{token}/accept']['post']>;
export type SsoProvider = Items<Ok<paths['/api/v1/auth/sso/providers']['get']>>;
export type TokenAnswer = Ok<paths['/api/v1/auth/login']['post']>;

export type CreateApiKeyBody = BodyOf<paths['/api/v1/api-keys']['post']>;
export type UpdateOrgBody = BodyOf<paths['/api/v1/org']['patch']>;

/** A member's role in an org. */
export type Role = 'owner' | 'admin' | 'member' | 'viewer';
/** The roles an invitation or a role change can give. */
export type AssignableRole = Exclude<Role, 'owner'>;
