DROP TABLE point_lot_start;
DROP TABLE lot_reminder;
DROP TABLE lot_entry;
DROP TABLE point_lot;
