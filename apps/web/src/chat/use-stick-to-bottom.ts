import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

const THRESHOLD_PX = 48;

/**
 * Keeps a scroll container at the bottom while content grows, lets go as soon as the person scrolls up, and
 * says when to offer 'jump to latest'.
 */
export function useStickToBottom<T extends HTMLElement>(contentKey: unknown) {
  const ref = useRef<T>(null);
  const stuck = useRef(true);
  const [atBottom, setAtBottom] = useState(true);

  const scrollToBottom = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    stuck.current = true;
    setAtBottom(true);
  }, []);

  useLayoutEffect(() => {
    // contentKey is the trigger (a new message or streamed piece); reading it marks it as used.
    void contentKey;
    if (stuck.current) scrollToBottom();
  }, [contentKey, scrollToBottom]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < THRESHOLD_PX;
      stuck.current = bottom;
      setAtBottom(bottom);
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);

  return { ref, atBottom, scrollToBottom };
}
