//! The logical IDs a Buildkite resource's generated resources take.

/// The logical IDs generated for resource `X`, in output order.
#[derive(Debug, Clone)]
pub struct GeneratedIds {
    pub task_definition: String,
    pub log_group: String,
    /// `None` when `ExecutionRoleArn` names the user's own role.
    pub execution_role: Option<String>,
    /// `None` when `TaskRoleArn` names the user's own role.
    pub task_role: Option<String>,
    /// `Some` with `RunPolicy: true`.
    pub run_policy: Option<String>,
}

impl GeneratedIds {
    pub fn new(logical_id: &str, generates_task_role: bool) -> Self {
        Self {
            task_definition: [logical_id, "TaskDefinition"].concat(),
            log_group: [logical_id, "LogGroup"].concat(),
            execution_role: Some([logical_id, "ExecutionRole"].concat()),
            task_role: generates_task_role.then(|| [logical_id, "TaskRole"].concat()),
            run_policy: None,
        }
    }

    /// The same, with `XRunPolicy` generated when `generates` is true.
    pub fn generating_run_policy(mut self, generates: bool) -> Self {
        self.run_policy = generates.then(|| [self.logical_id(), "RunPolicy"].concat());
        self
    }

    /// The Buildkite resource's logical ID, which every generated ID starts with.
    pub fn logical_id(&self) -> &str {
        self.task_definition
            .strip_suffix("TaskDefinition")
            .unwrap_or(&self.task_definition)
    }

    /// The same, with no execution role generated when `generates` is false.
    pub fn generating_execution_role(mut self, generates: bool) -> Self {
        if !generates {
            self.execution_role = None;
        }
        self
    }

    pub fn all(&self) -> impl Iterator<Item = &str> {
        [
            Some(&self.task_definition),
            Some(&self.log_group),
            self.execution_role.as_ref(),
            self.task_role.as_ref(),
            self.run_policy.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }
}
