// How the app writes times, points and money, checked under Node with the device in another
// time zone (the Rust suite runs this with TZ=America/New_York): residents read China
// Standard Time, 积分 with thousands separators and 元 with two decimals, whatever the phone.
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  formatChange, formatCountdown, formatDateTime, formatMinutes, formatPoints, formatRange, formatYuan,
  fromLocalInput, toLocalInput,
} from '../../app/src/format.js';

// 2026-06-03 06:00 UTC is 14:00 in Chengdu, a Wednesday.
const AFTERNOON = '2026-06-03T06:00:00Z';

test('times are China Standard Time whatever the device zone', () => {
  assert.equal(formatDateTime(AFTERNOON), '6月3日周三 14:00');
  assert.equal(formatRange(AFTERNOON, '2026-06-03T08:30:00Z'), '6月3日周三 14:00–16:30');
});

test('a datetime picker is read and written as China Standard Time', () => {
  assert.equal(fromLocalInput('2026-06-03T14:00'), '2026-06-03T06:00:00.000Z');
  assert.equal(toLocalInput(new Date(AFTERNOON)), '2026-06-03T14:00');
});

test('points have thousands separators and a real minus sign', () => {
  assert.equal(formatPoints(12800), '12,800 积分');
  assert.equal(formatChange(30), '+30');
  assert.equal(formatChange(-1200), '−1,200');
});

test('yuan have two decimals', () => {
  assert.equal(formatYuan('25'), '25.00 元');
  assert.equal(formatYuan('25.5'), '25.50 元');
  assert.equal(formatYuan(null), '');
});

test('durations and countdowns read naturally', () => {
  assert.equal(formatMinutes(150), '2 小时 30 分钟');
  assert.equal(formatMinutes(45), '45 分钟');
  assert.equal(formatCountdown(29 * 60 + 5), '29:05');
});
