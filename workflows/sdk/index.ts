/** The pipeline building blocks (`temporal-mlops/workflow`). */
export {};
