// The baseline worker's workflows (bundled on their own).
export { bareOrderWorkflow } from './workflow';
