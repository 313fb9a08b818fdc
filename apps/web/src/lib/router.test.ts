// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectSession } from '../chat/chat-actions';
import { appStore, createAppStore } from '../stores/store';
import { listenToHistory, navigate, pathOf, routeOf } from './router';

const S1 = '5f0c7a8e-1111-4111-8111-111111111111';
const S2 = '5f0c7a8e-2222-4222-8222-222222222222';
const RUN = '6a1b2c3d-3333-4333-8333-333333333333';

describe('routeOf / pathOf', () => {
  it('reads every page the app owns from its path, and writes it back', () => {
    const cases: [string, ReturnType<typeof routeOf>][] = [
      ['/', { view: 'chat', sessionId: null }],
      [`/c/${S1}`, { view: 'chat', sessionId: S1 }],
      [`/runs/${RUN}`, { view: 'run', runId: RUN }],
      [`/jobs/${RUN}`, { view: 'job', jobId: RUN }],
      ['/fleet', { view: 'fleet' }],
    ];
    for (const [path, route] of cases) {
      expect(routeOf(path)).toEqual(route);
      expect(pathOf(route)).toBe(path);
    }
  });

  it('falls back to the chat for a path that is not ours', () => {
    expect(routeOf('/runs/<script>')).toEqual({ view: 'chat', sessionId: null });
    expect(routeOf('/nowhere')).toEqual({ view: 'chat', sessionId: null });
  });
});

describe('listenToHistory', () => {
  let stop: () => void = () => {};
  beforeEach(() => {
    appStore.setState(createAppStore().getState(), true);
  });
  afterEach(() => {
    stop();
    window.history.replaceState(null, '', '/');
  });

  it('a reload of /c/{id} opens that conversation', () => {
    window.history.replaceState(null, '', `/c/${S1}`);
    stop = listenToHistory();
    expect(appStore.getState()).toMatchObject({ view: 'chat', activeSessionId: S1 });
  });

  it('opening a conversation puts it in the address; closing it takes it out; back returns to it', () => {
    window.history.replaceState(null, '', '/');
    stop = listenToHistory();
    selectSession(S1);
    expect(window.location.pathname).toBe(`/c/${S1}`);
    selectSession(S2);
    expect(window.location.pathname).toBe(`/c/${S2}`);
    // The browser's Back: the address changes first, then popstate.
    window.history.replaceState(null, '', `/c/${S1}`);
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(appStore.getState().activeSessionId).toBe(S1);
    selectSession(null);
    expect(window.location.pathname).toBe('/');
  });

  it('a run page names its run, and leaving it keeps the conversation open', () => {
    window.history.replaceState(null, '', `/c/${S1}`);
    stop = listenToHistory();
    navigate(`/runs/${RUN}`);
    expect(appStore.getState()).toMatchObject({ view: 'run', routeId: RUN, activeSessionId: S1 });
    navigate(`/c/${S1}`);
    expect(appStore.getState()).toMatchObject({ view: 'chat', routeId: null, activeSessionId: S1 });
  });
});
