import { alertmanagerWriter } from "./alertmanager";
import { kubernetesWriter } from "./kubernetes";
import { prometheusRulesWriter } from "./prometheus";
import type { ArtifactWriter } from "./types";
import { workerWriter } from "./worker";

/** The synth's artifact writers, in output order. Add one per folder of the contract. */
export const writers: readonly ArtifactWriter[] = [
    kubernetesWriter,
    prometheusRulesWriter,
    alertmanagerWriter,
    workerWriter,
];
