// @vitest-environment happy-dom
import type { WorkflowDefinitionDto } from '@deploybot/shared';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

const startWorkflow = vi.hoisted(() => vi.fn());
vi.mock('./workflow-actions', () => ({ startWorkflow }));
const { StartForm } = await import('./start-form');

const definition: WorkflowDefinitionDto = {
  name: 'register_agent',
  title: 'Register a deploy agent',
  description: 'Enroll a server',
  version: 1,
  inputs: [
    { key: 'hostname', label: 'Host name', type: 'hostname', required: true },
    { key: 'token', label: 'Token', type: 'secret', required: false },
  ],
  steps: [],
};

describe('StartForm', () => {
  afterEach(cleanup);

  it('checks values as typed and masks secrets', () => {
    render(<StartForm definition={definition} disabled={false} />);
    fireEvent.change(screen.getByTestId('field-hostname'), { target: { value: 'bad host' } });
    expect(screen.getByTestId('field-error-hostname').textContent).toMatch(/RFC 1123/);
    expect(screen.getByTestId('field-token').getAttribute('type')).toBe('password');
  });

  it('does not send invalid values', () => {
    render(<StartForm definition={definition} disabled={false} />);
    fireEvent.click(screen.getByTestId('start-workflow'));
    expect(screen.getByTestId('field-error-hostname').textContent).toBe('Host name is required');
    expect(startWorkflow).not.toHaveBeenCalled();
  });

  it("shows the server's errors by their field", async () => {
    startWorkflow.mockResolvedValue({
      ok: false,
      message: 'invalid',
      fields: { hostname: 'web-01 is already registered' },
    });
    render(<StartForm definition={definition} disabled={false} />);
    fireEvent.change(screen.getByTestId('field-hostname'), { target: { value: 'web-01' } });
    fireEvent.click(screen.getByTestId('start-workflow'));
    await waitFor(() =>
      expect(screen.getByTestId('field-error-hostname').textContent).toBe('web-01 is already registered'),
    );
    expect(startWorkflow).toHaveBeenCalledWith('register_agent', { hostname: 'web-01' });
  });
});
