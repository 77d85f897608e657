-- CreateTable
CREATE TABLE "SectionUpdate" (
    "id" BIGSERIAL NOT NULL,
    "sectionId" UUID NOT NULL,
    "update" BYTEA NOT NULL,
    "authorId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionUpdate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SectionSnapshot" (
    "sectionId" UUID NOT NULL,
    "state" BYTEA NOT NULL,
    "throughUpdateId" BIGINT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionSnapshot_pkey" PRIMARY KEY ("sectionId")
);

-- CreateTable
CREATE TABLE "SectionVersion" (
    "id" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "name" TEXT,
    "automatic" BOOLEAN NOT NULL DEFAULT false,
    "state" BYTEA NOT NULL,
    "contentHash" TEXT NOT NULL,
    "authorId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SectionApproval" (
    "id" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "reviewerId" UUID NOT NULL,
    "contentHash" TEXT NOT NULL,
    "versionId" UUID,
    "approvedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubmissionRecord" (
    "id" UUID NOT NULL,
    "responseId" UUID NOT NULL,
    "dealId" UUID,
    "submittedAt" TIMESTAMPTZ(3) NOT NULL,
    "recordedById" UUID,

    CONSTRAINT "SubmissionRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubmissionRecordSection" (
    "id" UUID NOT NULL,
    "recordId" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,

    CONSTRAINT "SubmissionRecordSection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SectionUpdate_sectionId_id_idx" ON "SectionUpdate"("sectionId", "id");

-- CreateIndex
CREATE INDEX "SectionVersion_sectionId_createdAt_idx" ON "SectionVersion"("sectionId", "createdAt");

-- CreateIndex
CREATE INDEX "SectionApproval_sectionId_approvedAt_idx" ON "SectionApproval"("sectionId", "approvedAt");

-- CreateIndex
CREATE INDEX "SubmissionRecord_responseId_idx" ON "SubmissionRecord"("responseId");

-- CreateIndex
CREATE UNIQUE INDEX "SubmissionRecordSection_recordId_position_key" ON "SubmissionRecordSection"("recordId", "position");

-- AddForeignKey
ALTER TABLE "SectionUpdate" ADD CONSTRAINT "SectionUpdate_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "TenderSection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionSnapshot" ADD CONSTRAINT "SectionSnapshot_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "TenderSection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionVersion" ADD CONSTRAINT "SectionVersion_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "TenderSection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionApproval" ADD CONSTRAINT "SectionApproval_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "TenderSection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SubmissionRecord" ADD CONSTRAINT "SubmissionRecord_responseId_fkey" FOREIGN KEY ("responseId") REFERENCES "TenderResponse"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SubmissionRecordSection" ADD CONSTRAINT "SubmissionRecordSection_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "SubmissionRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;
