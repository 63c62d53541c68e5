import { useRef, useState } from 'react';
import { useSaveContext } from 'react-admin';

/** What a form's save answers: its field problems (shown beside their inputs), or nothing. */
type Answer = Awaited<ReturnType<NonNullable<ReturnType<typeof useSaveContext>['save']>>>;

/**
 * A save that waits on a confirmation, for an action that cannot be undone (a ledger event, a published notice).
 * The form validates first; `submit` (the form's onSubmit) holds its values until the user answers: `confirm`
 * saves them (pessimistic: the server answers before the form settles, and its field problems come back to the
 * form), `cancel` drops them and leaves the form as it was. `values` is what waits for the answer (null: none).
 */
export function useConfirmedSave<V extends Record<string, unknown>>() {
  const { save, saving } = useSaveContext();
  const [values, setValues] = useState<V | null>(null);
  const answer = useRef<((result: Answer) => void) | null>(null);

  const submit = (data: V) =>
    new Promise<Answer>((resolve) => {
      answer.current = resolve;
      setValues(data);
    });
  const settle = (result: Answer) => {
    answer.current?.(result);
    answer.current = null;
    setValues(null);
  };
  const confirm = async () => {
    if (!values || !save) return settle(undefined);
    settle(await save(values));
  };
  return { values, saving: Boolean(saving), submit, confirm, cancel: () => settle(undefined) };
}
