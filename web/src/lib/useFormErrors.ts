import { useCallback, useState } from 'react';
import { mapErrorToForm } from '@/api/problem';

interface SettableForm {
  setErrors: (errors: Record<string, string>) => void;
  getValues: () => object;
}

/**
 * Puts an API error onto a Mantine form: per-field messages on the fields,
 * the rest in `formError` for a message near the submit button.
 */
export function useFormErrors(form: SettableForm, extraFields: readonly string[] = []) {
  const [formError, setFormError] = useState<string | null>(null);
  const apply = useCallback(
    (error: unknown) => {
      const fields = [...Object.keys(form.getValues()), ...extraFields];
      const mapped = mapErrorToForm(error, fields);
      form.setErrors(mapped.fieldErrors);
      setFormError(mapped.formError);
    },
    [form, ...extraFields],
  );
  const reset = useCallback(() => setFormError(null), []);
  return { formError, applyError: apply, resetError: reset };
}
