-- Development only: a database with booking transfers cannot go back (transfers are immutable).
DROP TABLE booking;
DROP TABLE booking_day;
DROP TABLE booking_terms;
