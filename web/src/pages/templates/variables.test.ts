import { describe, expect, it } from 'vitest';
import type { TemplateProblem } from './api';
import { draftWarnings, toApiVariables, newRow, usedVariables } from './variables';

const problem = (p: Partial<TemplateProblem>): TemplateProblem => ({ location: 'body.body_html', message: 'm', kind: 'content', ...p }) as TemplateProblem;

describe('live preview warnings', () => {
  it('puts field problems under their field and declaration problems on their variable', () => {
    const w = draftWarnings(
      [
        problem({ location: 'body.subject', kind: 'undeclared', variable: 'coupon', message: 'uses the undeclared variable "coupon" (line 1, column 4): declare it' }),
        problem({ location: 'body.variables[1].name', kind: 'unused', variable: 'ghost', message: 'declares "ghost" but no field uses it' }),
        problem({ location: 'body.body_html', kind: 'syntax', message: 'line 1, column 9: unclosed {{' }),
      ],
      { subject: 'Hi {{coupon}}', body_html: '<p>{{ oops</p>' },
    );
    expect(w.fields.subject).toEqual([{ message: 'uses the undeclared variable "coupon" (line 1, column 4): declare it', declare: 'coupon' }]);
    expect(w.fields.body_html).toEqual([{ message: 'line 1, column 9: unclosed {{' }]);
    expect(w.variables).toEqual({ ghost: 'declares "ghost" but no field uses it' });
    expect(w.count).toBe(3);
  });

  it('drops HTML positions, which mean nothing in the rich-text editor', () => {
    const w = draftWarnings([problem({ kind: 'undeclared', variable: 'x', message: 'uses the undeclared variable "x" (line 1, column 17): declare it' })], { body_html: '<p>{{x}}</p>' });
    expect(w.fields.body_html?.[0]?.message).toBe('uses the undeclared variable "x": declare it');
  });

  it('leaves out "required" problems of fields not written yet, but keeps limits', () => {
    const w = draftWarnings(
      [
        problem({ location: 'body.subject', message: 'is required for email' }),
        problem({ location: 'body.body', message: 'is 1001 characters; instagram allows at most 1000' }),
      ],
      { subject: '', body: 'x'.repeat(1001) },
    );
    expect(w.fields.subject).toBeUndefined();
    expect(w.fields.body).toHaveLength(1);
    expect(w.count).toBe(1);
  });

  it('offers to declare only what can be declared', () => {
    const w = draftWarnings([problem({ location: 'body.body', kind: 'undeclared', variable: 'org.id', message: 'uses "org.id"' })], { body: '{{org.id}}' });
    expect(w.fields.body?.[0]?.declare).toBeUndefined();
  });

  it('copes with no answer yet', () => {
    expect(draftWarnings(undefined, {})).toEqual({ fields: {}, variables: {}, count: 0 });
  });
});

describe('variables', () => {
  it('finds the names used, once each', () => {
    expect(usedVariables('Hi {{ first_name }}', '{{first_name}} {{attributes.plan}}')).toEqual(['first_name', 'attributes.plan']);
  });
  it('sends declared rows with null for no default or sample', () => {
    expect(toApiVariables([newRow({ name: ' plan ', sample: 'pro' }), newRow()])).toEqual([{ name: 'plan', default: null, sample: 'pro' }]);
  });
});
