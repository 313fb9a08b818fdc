// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { InputField } from './input-field';

describe('InputField', () => {
  afterEach(cleanup);

  it('marks an optional field "(optional)" once and shows what empty means as its hint', () => {
    render(
      <InputField
        spec={{
          key: 'job_id',
          label: 'Job id',
          description: 'Leave empty to troubleshoot the most recent failure.',
          type: 'text',
          required: false,
        }}
        value=""
        onChange={() => {}}
      />,
    );
    const label = screen.getByText('Job id', { exact: false }).closest('label');
    expect(label?.textContent).toBe('Job id (optional)');
    const field = screen.getByTestId('field-job_id');
    const hint = document.getElementById(field.getAttribute('aria-describedby') ?? '');
    expect(hint?.textContent).toBe('Leave empty to troubleshoot the most recent failure.');
  });

  it('marks a required field with * and aria-required, not "(optional)"', () => {
    render(
      <InputField
        spec={{ key: 'hostname', label: 'Host name', type: 'hostname', required: true }}
        value=""
        onChange={() => {}}
      />,
    );
    expect(screen.getByText('Host name', { exact: false }).closest('label')?.textContent).toBe('Host name *');
    expect(screen.getByTestId('field-hostname').getAttribute('aria-required')).toBe('true');
  });
});
