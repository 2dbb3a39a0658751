/** The sandbox page's calls: the org's play and traffic routes, and the sandbox's own config. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { ApiError } from '@/api/problem';
import type { components } from '@/api/schema';

export type PlayBody = components['schemas']['PlayBody'];
export type PlayResult = components['schemas']['PlayResult'];
export type SandboxTraffic = components['schemas']['SandboxTraffic'];
export type SandboxChannel = components['schemas']['SandboxChannel'];
export type SandboxMessage = components['schemas']['SandboxMessage'];
export type SandboxWebhook = components['schemas']['SandboxWebhook'];

export const skeys = {
  traffic: ['sandbox', 'traffic'] as const,
  config: ['sandbox', 'config'] as const,
};

/** The org's share of the sandbox's traffic, refreshed every few seconds (the route exists only with the sandbox on). */
export function useTraffic(live: boolean, enabled: boolean) {
  return useQuery({
    queryKey: skeys.traffic,
    queryFn: () => unwrap(api.GET('/api/v1/sandbox/traffic', { params: { query: { limit: 100 } } })),
    refetchInterval: live ? 2500 : false,
    enabled,
  });
}

/** Sends a message "from the phone" of a played contact. */
export function usePlay() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: PlayBody) => unwrap(api.POST('/api/v1/sandbox/inbound', { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: skeys.traffic });
      void qc.invalidateQueries({ queryKey: ['conversations'] });
      void qc.invalidateQueries({ queryKey: ['messages'] });
    },
  });
}

/** One simulated provider's behaviour (internal/sandbox Behaviour). */
export interface Behaviour {
  latency_ms: number;
  latency_p99_ms: number;
  rate_429: number;
  rate_5xx: number;
  retry_after_s: number;
  webhook_delay_ms: number;
  outcomes: Record<Outcome, number>;
}

export type Outcome = 'delivered' | 'bounce' | 'dropped' | 'deferred' | 'open' | 'click' | 'spam' | 'read' | 'failed' | 'undelivered';
export type Provider = 'sendgrid' | 'twilio' | 'telegram' | 'instagram';
export type SandboxConfig = Record<Provider, Behaviour>;

/**
 * The sandbox's control API is its own (unauthenticated, dev-only) HTTP
 * API under /sandbox/_api, not part of /api/v1: plain fetch.
 */
async function control<T>(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/sandbox/_api${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (cause) {
    throw ApiError.network(cause);
  }
  const data = await res.json().catch(() => undefined);
  if (!res.ok) throw ApiError.fromResponse(res, data);
  return data as T;
}

export function useSandboxConfig() {
  return useQuery({ queryKey: skeys.config, queryFn: () => control<SandboxConfig>('GET', '/config'), staleTime: 30_000 });
}

/** Changes one provider's behaviour (the sandbox merges the fields given). */
export function usePutSandboxConfig() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (patch: Partial<SandboxConfig>) => control<SandboxConfig>('PUT', '/config', patch),
    onSuccess: (cfg) => qc.setQueryData(skeys.config, cfg),
  });
}
