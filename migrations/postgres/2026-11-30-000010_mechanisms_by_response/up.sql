-- The exchange network reads seven columns of every mechanism of an assessment: an index on the
-- response that includes them lets PostgreSQL answer from the index alone.
CREATE INDEX mechanisms_flows ON mechanisms (response_id)
    INCLUDE (id, name, partner_organization_id, direction, domains, status);
DROP INDEX mechanisms_response;
