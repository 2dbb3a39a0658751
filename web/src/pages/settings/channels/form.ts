/** The settings form's values and the PUT body built from them. */
import type { ChannelPutBody, ChannelSettings } from './api';
import type { ChannelSpec } from './specs';

export interface ChannelFormValues {
  /** Non-secret fields, as typed. */
  config: Record<string, string>;
  /** Secrets being entered; empty unless the user types one. */
  secrets: Record<string, string>;
  /** Secrets whose input is shown: unset ones, and set ones being replaced. */
  replacing: Record<string, boolean>;
  /** Send rate override; '' for the default. */
  rate_per_second: number | string;
}

/** The form's starting values for a channel's settings. */
export function initialValues(spec: ChannelSpec, s: ChannelSettings): ChannelFormValues {
  const v: ChannelFormValues = { config: {}, secrets: {}, replacing: {}, rate_per_second: s.rate_per_second ?? '' };
  for (const f of spec.fields) {
    if (f.secret) {
      v.secrets[f.name] = '';
      v.replacing[f.name] = !s.secrets?.[f.name]?.set;
    } else {
      v.config[f.name] = s.config?.[f.name] ?? '';
    }
  }
  return v;
}

/**
 * The PUT body: every non-secret field (so a cleared one is cleared), only
 * the secrets typed in (the others are kept by the server), and the rate
 * (0 goes back to the default).
 */
export function buildBody(spec: ChannelSpec, s: ChannelSettings, v: ChannelFormValues): ChannelPutBody {
  const body: ChannelPutBody = { config: {}, secrets: {} };
  for (const f of spec.fields) {
    if (f.secret) {
      const typed = (v.secrets[f.name] ?? '').trim();
      if (v.replacing[f.name] && typed !== '') body.secrets![f.name] = typed;
    } else {
      body.config![f.name] = (v.config[f.name] ?? '').trim();
    }
  }
  const rate = v.rate_per_second;
  if (rate === '' || rate === null || rate === undefined) {
    if (s.rate_per_second != null) body.rate_per_second = 0;
  } else {
    body.rate_per_second = Number(rate);
  }
  if (!s.configured) body.enabled = true;
  return body;
}

/** The nested form paths a problem location can name, for useFormErrors. */
export function errorFields(spec: ChannelSpec): string[] {
  return spec.fields.map((f) => (f.secret ? `secrets.${f.name}` : `config.${f.name}`));
}
