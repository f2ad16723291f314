ALTER TABLE assessments DROP COLUMN show_national_averages;
