export * from "./cluster-addons";
export * from "./eks-cluster";
export * from "./eks-node-groups";
export * from "./managed-addons";
export type { Placement } from "./addon-values";
export * from "./deploy-runner";
export * from "./preview-access";
export * from "./karpenter";
export * from "./cluster-kubernetes";
