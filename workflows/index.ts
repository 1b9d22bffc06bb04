// The workflows this worker runs (the bundler's entry point).
export { orderWorkflow } from './order/workflow';
export { periodCloseWorkflow } from './kpi/workflow';
