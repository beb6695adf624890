import { InferenceBoard } from '@/components/inference/inference-board';
import { Shell } from '@/components/shell';

export const metadata = { title: 'Inference · Automations Console' };

export default function InferencePage() {
  return (
    <Shell>
      <InferenceBoard />
    </Shell>
  );
}
