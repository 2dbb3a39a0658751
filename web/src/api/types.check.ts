import type { AcceptResult, SsoProvider, ApiKey, Me, Member, Org, PublicInvitation, ApiKeyWithSecret, TokenAnswer, Membership } from './types';
type IsNever<T> = [T] extends [never] ? true : false;
type Expect<T extends false> = T;
export type Checks = [
  Expect<IsNever<Me>>, Expect<IsNever<ApiKey>>, Expect<IsNever<Member>>, Expect<IsNever<Org>>,
  Expect<IsNever<PublicInvitation>>, Expect<IsNever<ApiKeyWithSecret>>, Expect<IsNever<TokenAnswer>>, Expect<IsNever<Membership>>, Expect<IsNever<AcceptResult>>, Expect<IsNever<SsoProvider>>,
];
