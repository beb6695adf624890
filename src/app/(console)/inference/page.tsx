import { InferenceBoard } from '@/components/inference/inference-board';

export const metadata = { title: 'Inference · Automations Console' };

export default function InferencePage() {
  return <InferenceBoard />;
}
