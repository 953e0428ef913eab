#!/bin/bash
# LocalStack "ready" hook: creates the platform's S3 bucket once LocalStack's
# services are up. Mounted into /etc/localstack/init/ready.d by compose.yaml.
# LocalStack runs the file directly, so it must stay executable.
#
# The bucket name comes from S3_BUCKET (the same variable the services read);
# the region from AWS_DEFAULT_REGION. Running it twice is harmless.
set -euo pipefail

bucket="${S3_BUCKET:?S3_BUCKET is not set for the localstack service}"
region="${AWS_DEFAULT_REGION:-us-east-1}"

if awslocal s3api head-bucket --bucket "${bucket}" >/dev/null 2>&1; then
    echo "orgair: S3 bucket '${bucket}' already exists"
    exit 0
fi

if [ "${region}" = "us-east-1" ]; then
    # us-east-1 rejects an explicit LocationConstraint.
    awslocal s3api create-bucket --bucket "${bucket}" >/dev/null
else
    awslocal s3api create-bucket --bucket "${bucket}" \
        --create-bucket-configuration "LocationConstraint=${region}" >/dev/null
fi
echo "orgair: created S3 bucket '${bucket}' in ${region}"
