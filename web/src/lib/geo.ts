/** Options for the timezone and country selects, from the browser's Intl data. */

/** ISO 3166-1 alpha-2 codes of the officially assigned countries and territories. */
const COUNTRY_CODES =
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
  'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
  'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
  'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW';

export interface Option {
  value: string;
  label: string;
}

let countryCache: Option[] | null = null;

/** Countries sorted by their name in the user's language. */
export function countryOptions(): Option[] {
  if (countryCache) return countryCache;
  let names: Intl.DisplayNames | null = null;
  try {
    names = new Intl.DisplayNames(undefined, { type: 'region' });
  } catch {
    names = null;
  }
  countryCache = COUNTRY_CODES.split(' ')
    .map((code) => ({ value: code, label: `${names?.of(code) ?? code} (${code})` }))
    .sort((a, b) => a.label.localeCompare(b.label));
  return countryCache;
}

let zoneCache: Option[] | null = null;

/** IANA time zones grouped label "Europe/Paris (UTC+01:00)". */
export function timezoneOptions(): Option[] {
  if (zoneCache) return zoneCache;
  let zones: string[] = [];
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  try {
    zones = intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    zones = [];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  const now = new Date();
  zoneCache = zones.map((zone) => ({ value: zone, label: `${zone.replace(/_/g, ' ')} (${offsetLabel(zone, now)})` }));
  return zoneCache;
}

/** Makes sure the current value is selectable even if this browser lacks it. */
export function withValue(options: Option[], value: string | null | undefined): Option[] {
  if (!value || options.some((o) => o.value === value)) return options;
  return [{ value, label: value }, ...options];
}

/** "UTC+05:30" for a zone at a given moment. */
export function offsetLabel(zone: string, at: Date): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at);
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    if (name === 'GMT') return 'UTC+00:00';
    return name.replace('GMT', 'UTC');
  } catch {
    return 'UTC';
  }
}

/** The browser's own zone, a good default for a new organization. */
export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A country guess from the browser's locale (en-GB → GB), else US. */
export function browserCountry(): string {
  try {
    const locale = new Intl.Locale(navigator.language);
    const region = locale.maximize().region;
    if (region && COUNTRY_CODES.includes(region)) return region;
  } catch {
    // ignore
  }
  return 'US';
}
