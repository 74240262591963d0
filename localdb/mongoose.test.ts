import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from './index.js';
import { quietLogger } from './testing.js';

let db: LocalDb;
let conn: Connection;

beforeAll(async () => {
  db = await startLocalDb({ logger: quietLogger });
  conn = await mongoose.createConnection(db.uri, { dbName: 'app' }).asPromise();
});

afterAll(async () => {
  await conn.close();
  await db.stop();
});

const authorSchema = new mongoose.Schema({ name: { type: String, required: true }, email: { type: String, unique: true } }, { timestamps: true });
const bookSchema = new mongoose.Schema({
  title: String,
  author: { type: mongoose.Schema.Types.ObjectId, ref: 'Author' },
  tags: [String],
  pages: Number,
  published: Date,
  chapters: [{ name: String, words: Number }],
});

describe('mongoose', () => {
  it('creates, reads, updates and deletes documents with validation, timestamps and populate', async () => {
    const Author = conn.model('Author', authorSchema);
    const Book = conn.model('Book', bookSchema);
    await Author.init();
    const ann = await Author.create({ name: 'Ann', email: 'ann@x.io' });
    expect(ann.createdAt).toBeInstanceOf(Date);
    await expect(Author.create({ email: 'nobody@x.io' })).rejects.toThrow(/name/);
    const book = await Book.create({ title: 'T', author: ann._id, tags: ['a'], pages: 100, published: new Date('2020-01-01'), chapters: [{ name: 'c1', words: 10 }] });
    const found = await Book.findById(book._id).populate<{ author: { name: string } }>('author');
    expect(found?.author.name).toBe('Ann');
    await Book.updateOne({ _id: book._id, 'chapters.name': 'c1' }, { $inc: { 'chapters.$.words': 5 }, $push: { tags: 'b' } });
    const lean = await Book.findById(book._id).select('tags chapters -_id').lean();
    expect(lean).toEqual({ tags: ['a', 'b'], chapters: [{ name: 'c1', words: 15, _id: book.chapters[0]?._id }] });
    const doc = await Book.findById(book._id);
    doc!.pages = 120;
    await doc!.save();
    expect((await Book.findById(book._id).lean())?.pages).toBe(120);
    const up = await Book.findOneAndUpdate({ title: 'U' }, { $set: { pages: 1 } }, { upsert: true, returnDocument: 'after' });
    expect(up.pages).toBe(1);
    expect(await Book.countDocuments()).toBe(2);
    expect(await Book.estimatedDocumentCount()).toBe(2);
    expect((await Book.distinct('title')).sort()).toEqual(['T', 'U']);
    await Book.deleteOne({ title: 'U' });
    expect(await Book.exists({ title: 'U' })).toBeNull();
  });

  it('surfaces duplicate key errors as MongoServerError 11000', async () => {
    const Author = conn.model('Author');
    const err = await Author.create({ name: 'Dup', email: 'ann@x.io' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MongoServerError', code: 11000, keyValue: { email: 'ann@x.io' } });
    const bulk = await Author.insertMany(
      [{ name: 'b', email: 'b@x.io' }, { name: 'dup', email: 'ann@x.io' }, { name: 'c', email: 'c@x.io' }],
      { ordered: false },
    ).catch((e: unknown) => e);
    expect(bulk).toMatchObject({ code: 11000 });
    expect(await Author.countDocuments()).toBe(3);
  });

  it('streams with cursors, aggregates and bulk-writes', async () => {
    const Book = conn.model('Book');
    await Book.insertMany(Array.from({ length: 500 }, (_, i) => ({ title: `b${i}`, pages: i, tags: [i % 2 ? 'odd' : 'even'] })));
    let n = 0;
    for await (const _ of Book.find({ pages: { $gte: 100 } }).batchSize(50).cursor()) n++;
    expect(n).toBe(401);
    const agg = await Book.aggregate<{ _id: string; n: number }>([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]);
    expect(agg).toEqual([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 1 },
      { _id: 'even', n: 250 },
      { _id: 'odd', n: 250 },
    ]);
    const res = await Book.bulkWrite([
      { updateMany: { filter: { tags: 'odd' }, update: { $set: { title: 'odd' } } } },
      { deleteMany: { filter: { pages: { $lt: 10 } } } },
      { insertOne: { document: { title: 'new' } } },
    ]);
    expect(res.modifiedCount).toBe(250);
    expect(res.deletedCount).toBe(10);
    expect(res.insertedCount).toBe(1);
  });

  it('syncs schema indexes', async () => {
    const schema = new mongoose.Schema({ k: String, v: Number });
    schema.index({ k: 1, v: -1 });
    const M = conn.model('Indexed', schema);
    await M.syncIndexes();
    const names = (await M.listIndexes()).map((i: { name: string }) => i.name);
    expect(names).toEqual(['_id_', 'k_1_v_-1']);
  });
});
