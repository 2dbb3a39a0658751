import { describe, expect, it } from 'vitest';
import { type Contact, contactChannels, contactLabel, EMPTY_FILTERS, exportPath, importDone, toQuery, toSelectionFilter } from './api';
import { attributeKey, targetOptions } from './ImportModal';

const contact = (over: Partial<Contact>): Contact =>
  ({
    id: 'c1',
    email: null,
    phone: null,
    whatsapp: null,
    telegram_chat_id: null,
    telegram_username: null,
    instagram_id: null,
    instagram_username: null,
    first_name: '',
    last_name: '',
    locale: '',
    timezone: '',
    attributes: {},
    tags: [],
    consent: {},
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  }) as Contact;

describe('contact filters', () => {
  it('leaves empty values out of the query', () => {
    expect(toQuery({ ...EMPTY_FILTERS, search: '  ana ', tag: '' })).toEqual({ search: 'ana', sort: '-created_at' });
  });
  it('builds the export link of the current filter', () => {
    expect(exportPath({ ...EMPTY_FILTERS, group_id: 'g1', sort: '' })).toBe('/api/v1/contacts/export.csv?group_id=g1');
    expect(exportPath({ ...EMPTY_FILTERS, sort: '' })).toBe('/api/v1/contacts/export.csv');
  });
  it('drops the sort from a selection filter', () => {
    expect(toSelectionFilter({ ...EMPTY_FILTERS, opted_out: 'any' })).toEqual({ opted_out: 'any' });
  });
});

describe('contact display', () => {
  it('labels a contact by name, then address', () => {
    expect(contactLabel(contact({ first_name: 'Ana', last_name: 'Silva', email: 'a@x.io' }))).toBe('Ana Silva');
    expect(contactLabel(contact({ email: 'a@x.io' }))).toBe('a@x.io');
    expect(contactLabel(contact({ telegram_username: 'ana' }))).toBe('@ana');
    expect(contactLabel(contact({}))).toBe('Unnamed contact');
  });
  it('lists the reachable channels', () => {
    expect(contactChannels(contact({ email: 'a@x.io', telegram_chat_id: '1' }))).toEqual(['email', 'telegram']);
  });
});

describe('import mapping', () => {
  it('names attributes after their header', () => {
    expect(attributeKey(' Plan Tier ')).toBe('plan_tier');
    expect(attributeKey('$$')).toBe('column');
  });
  it('offers ignore, the targets and an attribute', () => {
    const opts = targetOptions({ targets: ['email', 'name'] }, 'Plan', '');
    expect(opts.map((o) => o.value)).toEqual(['', 'email', 'name', 'attributes.plan']);
    expect(targetOptions({ targets: [] }, 'Plan', 'attributes.other').map((o) => o.value)).toContain('attributes.other');
  });
  it('knows when an import stopped', () => {
    expect(importDone({ status: 'running' })).toBe(false);
    expect(importDone({ status: 'completed' })).toBe(true);
    expect(importDone({ status: 'failed' })).toBe(true);
  });
});
