import { awsCases } from "./cases/aws";
import { runPolicyCases } from "./lib/cases";

runPolicyCases(awsCases);
