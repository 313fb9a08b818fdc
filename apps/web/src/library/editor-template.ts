/** What "New workflow" starts from: small, runnable without an agent, showing inputs, a timer and a gate. */
export const NEW_WORKFLOW_TEMPLATE = `name: my_workflow
title: My workflow
description: What it does, in one sentence.
inputs:
  - key: message
    label: Message
    type: text
    required: true
steps:
  - id: prepare
    title: Prepare
    uses: set
    with:
      text: "\${{ inputs.message }}"
  - id: pause
    title: Wait a moment
    uses: wait
    with:
      duration: 1s
  - id: confirm
    title: Confirm
    uses: approval
    with:
      message: Finish?
`;
