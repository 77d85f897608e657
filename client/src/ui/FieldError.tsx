/** The message shown under a field; `id` is what the input's aria-describedby points to. */
export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error" data-testid="field-error" role="alert">
      {message}
    </p>
  );
}
