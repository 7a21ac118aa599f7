// A small AWS CDK app that uses the macro's resource the way a CDK user would: through
// CfnResource, with the values of CDK constructs beside it passed in as CDK writes them.
// `node app.js` (from synth.sh) writes cdk.out/BuildkiteAgents.template.json; synth.sh copies
// it to agents.template.json, the fixture the tests read. No CDK CLI is needed.
'use strict';

const path = require('path');
const cdk = require('aws-cdk-lib');
const cxapi = require('aws-cdk-lib/cx-api');
const ecr = require('aws-cdk-lib/aws-ecr');
const iam = require('aws-cdk-lib/aws-iam');
const s3 = require('aws-cdk-lib/aws-s3');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const ssm = require('aws-cdk-lib/aws-ssm');

class BuildkiteAgentsStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);

    // The macro, by the name its deploy template gives it by default.
    this.addTransform('Buildkite-Agents-2020-03-09');

    // Values a CI stack keeps beside its agents.
    const repository = new ecr.Repository(this, 'Images', {
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    const npmToken = new ssm.StringParameter(this, 'NpmToken', {
      parameterName: '/ci/npm-token',
      stringValue: 'replace-me',
    });
    const deployKey = new secretsmanager.Secret(this, 'DeployKey');
    const config = new s3.Bucket(this, 'Config');

    // A CommaDelimitedList of managed policy ARNs, passed whole (param.valueAsList), and one of
    // service images, of which the first is taken with Fn.select.
    const managedPolicies = new cdk.CfnParameter(this, 'TaskPolicyArns', {
      type: 'CommaDelimitedList',
      default: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      description: 'Managed policies for the agent task role',
    });
    const serviceImages = new cdk.CfnParameter(this, 'ServiceImages', {
      type: 'CommaDelimitedList',
      default: 'public.ecr.aws/docker/library/postgres:16,public.ecr.aws/docker/library/redis:7',
      description: 'Images of the services beside the agent; the first is the database',
    });

    const agent = new cdk.CfnResource(this, 'Ruby', {
      type: 'Buildkite::ECS::TaskDefinition',
      properties: {
        Image: repository.repositoryUriForTag('3.3'),
        BuildkiteAgentImage: 'buildkite/agent:3-sidecar',
        Services: [
          { Name: 'postgres', Image: cdk.Fn.select(0, serviceImages.valueAsList) },
          { Name: 'tools', Image: repository.repositoryUri },
          {
            Name: 'ruby-next',
            Image: repository.node.defaultChild.attrRepositoryUri + ':3.4',
          },
        ],
        Secrets: [
          { Name: 'DEPLOY_KEY', ValueFrom: deployKey.secretArn },
          { Name: 'NPM_TOKEN', ValueFrom: npmToken.parameterArn },
        ],
        EnvironmentFiles: [config.arnForObjects('ci.env')],
        TaskRoleManagedPolicyArns: managedPolicies.valueAsList,
      },
    });

    // CDK's grant idiom, by name, through the TaskRoleName attribute. (By ARN, with
    // iam.Role.fromRoleArn(.., agent.getAtt('TaskRoleArn')), CDK takes the segment after role/
    // for the name, which for the generated role is its path: the macro refuses that, and
    // tests/fixtures/cdk-role-from-arn-takes-the-path-for-the-name.yaml shows it.)
    const taskRoleByName = iam.Role.fromRoleName(
      this,
      'RubyTaskRoleByName',
      agent.getAtt('TaskRoleName').toString(),
    );
    deployKey.grantRead(taskRoleByName);

    new cdk.CfnOutput(this, 'RubyTaskDefinitionArn', { value: agent.ref });
  }
}

// The context `cdk synth` would give a project made by `cdk init` with this aws-cdk-lib: the
// feature flags recommended for new projects (cdk.json), resource path metadata and version
// reporting (the CLI turns both on), so the template is the one a CDK user deploys.
const app = new cdk.App({
  outdir: path.join(__dirname, 'cdk.out'),
  context: {
    ...cxapi.NEW_PROJECT_DEFAULT_CONTEXT,
    ...cxapi.CURRENTLY_RECOMMENDED_FLAGS,
    'aws:cdk:enable-path-metadata': true,
    'aws:cdk:enable-asset-metadata': true,
    'aws:cdk:version-reporting': true,
  },
});
new BuildkiteAgentsStack(app, 'BuildkiteAgents');
app.synth();
