import { awsCases } from "./cases/aws";
import { eksSupportCases } from "./cases/aws-eks-support";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(awsCases);
runPolicyCases(eksSupportCases);
