CREATE INDEX mechanisms_response ON mechanisms (response_id);
DROP INDEX mechanisms_flows;
