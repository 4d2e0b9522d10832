/**
 * EKS standard support, as data: the day each Kubernetes minor leaves standard support (AWS
 * EKS user guide, "Understand the Kubernetes version lifecycle on EKS"). After it the cluster
 * bills extended support and is upgraded by AWS when that ends too. Add a row when EKS
 * releases a minor; `mcp update check --kind kubernetes` (`aws eks describe-cluster-versions`)
 * compares it with EKS. The policies of policies/aws-eks-support.ts judge clusters by it.
 */
export const eksStandardSupportEnds: Readonly<Record<string, string>> = {
    "1.31": "2025-11-26",
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
};
