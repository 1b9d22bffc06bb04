/**
 * The test harness itself: the servers the global setup prepared answer, and
 * the helpers every other test leans on work (SMTP capture, fixtures).
 */
import { existsSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { createMailer } from '../activities/infra/mailer';
import { SA } from '../workflows/order/contract';
import { closeTestPrisma, testPrisma } from './support/db';
import { createFixture } from './support/fixtures';
import { startSmtpCapture } from './support/smtp';

afterAll(async () => {
  await closeTestPrisma();
});

describe('test harness', () => {
  it('exports the servers to the test processes', () => {
    expect(process.env.TEMPORAL_ADDRESS).toMatch(/^[^:]+:\d+$/);
    expect(new URL(process.env.DATABASE_URL!).pathname).toMatch(/^\/salesorder_test/);
    expect(existsSync(process.env.WORKFLOW_BUNDLE!)).toBe(true);
  });

  it('has a Temporal server that answers, with the search attributes registered', async () => {
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const names = Object.keys(customAttributes ?? {});
      for (const key of Object.values(SA)) expect(names).toContain(key.name);
    } finally {
      await connection.close();
    }
  });

  it('has the migrated and seeded test database', async () => {
    const prisma = testPrisma();
    // Other test files add carriers of their own; the seeded three must be there.
    const carriers = await prisma.carrier.findMany({ where: { code: { in: ['JDL', 'SF', 'ZTO'] } }, include: { rates: true }, orderBy: { code: 'asc' } });
    expect(carriers.map((c) => c.code)).toEqual(['JDL', 'SF', 'ZTO']);
    expect(carriers.find((c) => c.code === 'SF')?.name).toBe('顺丰速运');
    for (const c of carriers) expect(c.rates.map((r) => r.region).sort()).toEqual([...c.serviceAreas].sort());
    expect(await prisma.user.count({ where: { username: 'finance', role: 'finance' } })).toBe(1);
  });

  it('makes fixtures of their own for each caller', async () => {
    const prisma = testPrisma();
    const a = await createFixture(prisma);
    const b = await createFixture(prisma, { onHand: 7, creditLimit: '500.00', language: 'en' });
    expect(a.customerCode).not.toBe(b.customerCode);
    const inv = await prisma.inventory.findUniqueOrThrow({ where: { productId: b.inStockProductId } });
    expect(inv.onHand).toBe(7);
    const mto = await prisma.product.findUniqueOrThrow({ where: { id: a.mtoProductId }, include: { inventory: true } });
    expect(mto.makeToOrder).toBe(true);
    expect(mto.inventory?.onHand).toBe(0);
    const customer = await prisma.customer.findUniqueOrThrow({ where: { id: a.customerId } });
    expect(customer.name).toMatch(/有限公司/);
    // Every seeded carrier serves the fixture's region.
    const serving = await prisma.carrier.count({ where: { serviceAreas: { has: a.region } } });
    expect(serving).toBe(3);
  });

  it('captures email sent over SMTP, Message-ID and Chinese subject intact', async () => {
    const smtp = await startSmtpCapture();
    const mailer = createMailer(smtp.url);
    try {
      await mailer.sendMail({
        from: '"销售订单 Sales Orders" <orders@example.com>',
        to: '王伟 <wang.wei@example.com>',
        subject: '订单确认 SO-2026-000123：上海华东机电有限公司',
        text: '您好，您的订单已确认。',
        messageId: '<harness-1@sales.example.com>',
      });
      const m = await smtp.waitFor((x) => x.messageId === '<harness-1@sales.example.com>', 5_000);
      expect(m.subject).toBe('订单确认 SO-2026-000123：上海华东机电有限公司');
      expect(m.to).toEqual(['wang.wei@example.com']);
      expect(m.text.trim()).toBe('您好，您的订单已确认。');
      expect(m.headers['message-id']).toBe('<harness-1@sales.example.com>');
      await expect(smtp.waitFor((x) => x.subject === 'never sent', 200)).rejects.toThrow(/no matching email/);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });
});
