-- CreateTable
CREATE TABLE "EventLogHorizon" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "prunedThrough" BIGINT NOT NULL,

    CONSTRAINT "EventLogHorizon_pkey" PRIMARY KEY ("id")
);
