import { type KeyboardEvent, useId, useState } from 'react';
import { sendMessage, stopReply } from './chat-actions';

export const COMPOSER_ID = 'chat-composer';

/** Enter sends, Shift+Enter is a newline, Esc (or Stop) stops the reply being written. */
export function Composer({
  disabled,
  streaming,
  reason,
}: {
  disabled: boolean;
  streaming: boolean;
  reason: string | null;
}) {
  const [text, setText] = useState('');
  const hintId = useId();
  const send = async () => {
    if (!text.trim() || disabled || streaming) return;
    const sent = text;
    setText('');
    if (!(await sendMessage(sent))) setText(sent);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'Escape' && streaming) {
      e.preventDefault();
      void stopReply();
    }
  };
  return (
    <form
      className="border-t border-slate-200 p-3 dark:border-slate-700"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <div className="flex items-end gap-2">
        <label htmlFor={COMPOSER_ID} className="sr-only">
          Message DeployBot
        </label>
        <textarea
          id={COMPOSER_ID}
          rows={Math.min(8, Math.max(1, text.split('\n').length))}
          className="max-h-48 min-h-10 flex-1 resize-none rounded-xl border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-600 dark:bg-slate-900"
          placeholder={
            disabled
              ? (reason ?? 'The assistant is unavailable')
              : 'Ask DeployBot to deploy, check health, troubleshoot…'
          }
          value={text}
          disabled={disabled}
          aria-describedby={hintId}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          data-testid="composer"
        />
        {streaming ? (
          <button
            type="button"
            className="btn bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900"
            onClick={() => void stopReply()}
            data-testid="stop-button"
          >
            ■ Stop
          </button>
        ) : (
          <button
            type="submit"
            className="btn btn-primary"
            disabled={disabled || !text.trim()}
            data-testid="send-button"
          >
            Send
          </button>
        )}
      </div>
      <p id={hintId} className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        Enter sends · Shift+Enter new line · Esc stops a reply · Ctrl+Shift+O new chat · / focuses here
      </p>
    </form>
  );
}
