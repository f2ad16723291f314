ALTER TABLE assessments ADD COLUMN show_national_averages BOOLEAN NOT NULL DEFAULT FALSE;
